using System.Collections.Concurrent;
using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Node;

/// <summary>Real <see cref="QuorumNode"/>s on their own threads, wired by an in-process transport.</summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, QuorumNode> _reachable = new();
    private readonly QuorumConfig[] _configs;

    public InProcessCluster(int voters, int requestTimeoutMs = 500, int fetchTimeoutMs = 600)
    {
        var ids = Enumerable.Range(1, voters).ToList();
        _configs = [.. ids.Select(id => new QuorumConfig(id, ids, "in-process", ElectionTimeoutMs: 150, FetchTimeoutMs: fetchTimeoutMs, RequestTimeoutMs: requestTimeoutMs))];
        foreach (var config in _configs)
        {
            var listener = new Recorder();
            var node = new QuorumNode(config, new MemoryRaftLog(), new MemoryQuorumStateStore(), new Transport(this, requestTimeoutMs), listener, seed: config.NodeId);
            Nodes[config.NodeId] = node;
            Listeners[config.NodeId] = listener;
            _reachable[config.NodeId] = node;
        }
        foreach (var node in Nodes.Values)
            node.Start();
    }

    public Dictionary<int, QuorumNode> Nodes { get; } = [];

    public Dictionary<int, Recorder> Listeners { get; } = [];

    public static async Task WaitUntil(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until every node still running agrees on one leader; returns its id.</summary>
    public async Task<int> WaitForLeader(int minEpoch = 1)
    {
        var running = () => Nodes.Where(kv => _reachable.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
        await WaitUntil(() =>
        {
            var views = running().Select(n => n.Leader).Distinct().ToList();
            return views.Count == 1 && views[0].LeaderId > 0 && views[0].Epoch >= minEpoch;
        }, "the nodes agree on a leader");
        return running()[0].Leader.LeaderId;
    }

    /// <summary>Takes a node off the network and stops it, as a crash would look to the others.</summary>
    public async Task Kill(int id)
    {
        _reachable.TryRemove(id, out _);
        await Nodes[id].DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _reachable.Clear();
        foreach (var node in Nodes.Values)
            await node.DisposeAsync();
    }

    internal sealed class Recorder : IRaftListener
    {
        public ConcurrentQueue<RaftEntry> Committed { get; } = new();

        public bool Has(byte[] payload) => Committed.Any(e => e.Payload.AsSpan().SequenceEqual(payload));

        public void OnCommitted(IReadOnlyList<RaftEntry> entries)
        {
            foreach (var entry in entries)
                Committed.Enqueue(entry);
        }

        public void OnLeaderChange(LeaderAndEpoch leader)
        {
        }
    }

    private sealed class Transport(InProcessCluster cluster, int timeoutMs) : IRaftTransport
    {
        public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => _ = Task.Run(async () =>
        {
            if (!cluster._reachable.TryGetValue(destinationId, out var node))
            {
                onResponse(null);
                return;
            }
            try
            {
                onResponse(await node.HandleAsync(request).WaitAsync(TimeSpan.FromMilliseconds(timeoutMs)));
            }
            catch (TimeoutException)
            {
                onResponse(null);
            }
        });
    }
}
