using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Network;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Quorum;

/// <summary>
/// Three quorum nodes in one process, on file logs, over the real TCP transport and CONTROLLER listeners (Kafka's wire), with the production timeouts:
/// every commit the leader sees must reach both followers. It also reports how long after the leader's commit each
/// follower applied the entry (p50/p99), which is what decides how stale another broker's metadata can be;
/// <c>QUORUM_PROBE_COMMITS</c> sets how many commits (a few thousand for a measurement; CI runs a few hundred).
/// The figures are printed, never asserted.
/// </summary>
public sealed class CommitToApplyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-probe-" + Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<IDisposable> _logs = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
            await _cleanup[i].DisposeAsync();
        foreach (var log in _logs)
            log.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task EveryCommitReachesEveryFollowerOverTcp()
    {
        var commits = int.TryParse(Environment.GetEnvironmentVariable("QUORUM_PROBE_COMMITS"), out var n) && n > 0 ? n : 200;
        var ids = new[] { 1, 2, 3 };
        var handlers = ids.ToDictionary(id => id, _ => new LateHandler());
        var servers = new Dictionary<int, SocketServer>();
        foreach (var id in ids)
        {
            var server = ControllerListener.Start(handlers[id], nodeId: id);
            _cleanup.Add(server);
            servers[id] = server;
        }
        var endpoints = ids.ToDictionary(id => id, id => new DnsEndPoint("127.0.0.1", servers[id].Port()));
        var nodes = new Dictionary<int, QuorumNode>();
        var applied = ids.ToDictionary(id => id, _ => new Applied());
        foreach (var id in ids)
        {
            var dir = Path.Combine(_dir, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            var log = FileRaftLog.Open(dir);
            _logs.Add(log);
            var transport = new TcpRaftTransport(endpoints, 2000, clientId: $"raft-client-{id}");
            var node = new QuorumNode(new QuorumConfig(id, ids, "probe"), log, new FileQuorumStateStore(Path.Combine(dir, "quorum-state")), transport, applied[id], seed: id);
            // Disposed before the transport (cleanup runs in reverse), so no response arrives at a stopped loop.
            _cleanup.Add(transport);
            _cleanup.Add(node);
            handlers[id].Node = node;
            nodes[id] = node;
        }
        foreach (var node in nodes.Values)
            node.Start();
        await WaitUntil(() => nodes.Values.Select(x => x.Leader).Distinct().Count() == 1 && nodes[1].Leader.LeaderId > 0, "the nodes agree on a leader", 30_000);

        var offsets = new List<long>(commits);
        for (var i = 0; i < commits; i++)
            offsets.Add(await ProposeFollowingLeaderAsync(nodes, BitConverter.GetBytes(i)));
        await WaitUntil(() => ids.All(id => offsets.All(applied[id].At.ContainsKey)), "every node applied every commit", 30_000);

        // The leader may have changed under load, so an entry's commit time is the first node's apply time.
        var lags = new List<double>(2 * commits);
        foreach (var offset in offsets)
        {
            var times = ids.Select(id => applied[id].At[offset]).Order().ToList();
            lags.AddRange(times.Skip(1).Select(t => (t - times[0]) * 1000.0 / Stopwatch.Frequency));
        }
        lags.Sort();
        output.WriteLine($"commit on the leader -> applied on a follower, {offsets.Count} commits x {ids.Length - 1} followers: " +
            $"p50 {Percentile(lags, 0.50):F2} ms, p90 {Percentile(lags, 0.90):F2} ms, p99 {Percentile(lags, 0.99):F2} ms, max {lags[^1]:F2} ms");
        Assert.All(ids, id => Assert.Equal(offsets, applied[id].At.Keys.Where(offsets.Contains).Order()));
    }

    /// <summary>
    /// As a client does: a proposal that times out or meets a leader change (the production timeouts on a machine
    /// busy with the other tests can cost an election) goes again to whichever node leads now. Every retry is
    /// printed with each node's view, so a quorum that stops committing shows up in the output, then fails.
    /// </summary>
    private async Task<long> ProposeFollowingLeaderAsync(Dictionary<int, QuorumNode> nodes, byte[] payload)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            var known = nodes.Values.Select(n => n.Leader).Where(l => l.LeaderId > 0).ToList();
            var target = known.Count > 0 ? known.MaxBy(l => l.Epoch)!.LeaderId : nodes.Keys.First();
            try
            {
                return await nodes[target].ProposeAsync(payload);
            }
            catch (QuorumException ex) when (started.Elapsed < TimeSpan.FromSeconds(60))
            {
                output.WriteLine($"{started.ElapsedMilliseconds} ms: proposal to node {target} failed ({ex.Message}); views: " +
                    string.Join(", ", nodes.Select(n => $"{n.Key}: leader {n.Value.Leader.LeaderId} epoch {n.Value.Leader.Epoch} hw {n.Value.Describe().HighWatermark}")));
            }
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what, int timeoutMs)
    {
        var deadline = Environment.TickCount64 + (long)(timeoutMs * Infrastructure.Eventually.Scale);
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private sealed class Applied : IRaftListener
    {
        public ConcurrentDictionary<long, long> At { get; } = new();

        public void OnCommitted(IReadOnlyList<RaftEntry> entries)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var entry in entries)
                At[entry.Offset] = now;
        }

        public void OnLeaderChange(LeaderAndEpoch leader)
        {
        }
    }

    /// <summary>The servers must listen before the nodes exist (their ports go into every node's transport).</summary>
    private sealed class LateHandler : IRaftRequestHandler
    {
        public QuorumNode? Node { get; set; }

        public Task<RaftResponse> HandleAsync(RaftRequest request, CancellationToken cancellationToken = default) =>
            Node is { } node ? node.HandleAsync(request, cancellationToken) : Task.FromResult(RaftResponses.Error(request, RaftErrors.BrokerNotAvailable, new LeaderAndEpoch(-1, 0)));
    }
}
