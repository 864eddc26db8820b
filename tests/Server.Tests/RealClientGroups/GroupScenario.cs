using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>
/// A topic, the records produced to it (groups_produce.py: record i of a run goes to partition i % partitions) and
/// the member processes of one consumer group reading it. Waits poll the members' output with a deadline; the
/// checks compare what the members read with what was produced.
/// </summary>
public sealed class GroupScenario : IDisposable
{
    public const int SessionTimeoutMs = 6000;
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    private readonly string _bootstrap;
    private readonly Func<string> _brokerLog;
    private readonly ITestOutputHelper _output;
    private readonly string _stopFile;
    private readonly List<GroupMemberProcess> _members = [];
    private long _produced;

    public GroupScenario(BrokerProcess broker, ITestOutputHelper output, string group, string? topic = null, int partitions = 6)
        : this(broker.BootstrapServers, () => broker.Log, output, group, topic, partitions)
    {
    }

    /// <summary>A scenario against any cluster: <paramref name="brokerLog"/> supplies the broker output shown on failure.</summary>
    public GroupScenario(string bootstrap, Func<string> brokerLog, ITestOutputHelper output, string group, string? topic = null, int partitions = 6)
    {
        _bootstrap = bootstrap;
        _brokerLog = brokerLog;
        _output = output;
        Group = group;
        Topic = topic ?? "groups-" + Guid.NewGuid().ToString("N")[..8];
        Partitions = partitions;
        Ends = new long[partitions];
        _stopFile = Path.Combine(Path.GetTempPath(), $"ko-group-stop-{Guid.NewGuid():N}");
    }

    public string Group { get; }

    public string Topic { get; }

    public int Partitions { get; }

    /// <summary>High watermark of each partition after the last produce.</summary>
    public long[] Ends { get; }

    public IReadOnlyList<GroupMemberProcess> Members => _members;

    /// <summary>Replicas of the topic <see cref="ProduceAsync"/> creates.</summary>
    public int ReplicationFactor { get; init; } = 1;

    public IEnumerable<GroupMemberProcess> Live => _members.Where(m => !m.Killed && !m.Stopped);

    public async Task ProduceAsync(int count, bool create = false)
    {
        var python = RepoPaths.RequirePython();
        List<string> args = [Path.Combine(RepoPaths.PythonDir, "groups_produce.py"), _bootstrap, Topic,
            _produced.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)];
        if (create)
        {
            args.AddRange(["--create", Partitions.ToString(CultureInfo.InvariantCulture)]);
        }

        var result = await ClientScript.RunAsync(python, args, TimeSpan.FromSeconds(60), _output,
            environment: new Dictionary<string, string> { ["TEST_REPLICATION_FACTOR"] = ReplicationFactor.ToString(CultureInfo.InvariantCulture) });
        var summary = result.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        foreach (var end in summary.GetProperty("ends").EnumerateObject())
        {
            Ends[int.Parse(end.Name, CultureInfo.InvariantCulture)] = end.Value.GetInt64();
        }

        _produced += count;
        Assert.Equal(_produced, Ends.Sum());
    }

    /// <summary>Starts a python member (confluent-kafka-python unless <paramref name="client"/> says kafka-python).</summary>
    public GroupMemberProcess StartPython(string name, string client = "confluent", string strategy = "range", string? instance = null, string? group = null)
    {
        List<string> args = [Path.Combine(RepoPaths.PythonDir, "groups_member.py"), _bootstrap, Topic,
            group ?? Group, name, _stopFile, "--client", client, "--strategy", strategy,
            "--session-ms", SessionTimeoutMs.ToString(CultureInfo.InvariantCulture)];
        if (instance != null)
        {
            args.AddRange(["--instance", instance]);
        }

        return Add(GroupMemberProcess.Start(name, RepoPaths.RequirePython(), args));
    }

    /// <summary>Starts a node member: <paramref name="client"/> is kafkajs, ckjs (KafkaJS-compatible API of
    /// @confluentinc/kafka-javascript) or rdkafka (its node-rdkafka API).</summary>
    public GroupMemberProcess StartNode(string name, string client, string? group = null)
    {
        var node = RepoPaths.RequireTool("node");
        RepoPaths.RequireNodeModule(client == "kafkajs" ? "kafkajs" : "@confluentinc/kafka-javascript");
        return Add(GroupMemberProcess.Start(name, node,
            [Path.Combine(RepoPaths.NodeDir, "groups_member.js"), _bootstrap, Topic, group ?? Group, name,
             _stopFile, client, SessionTimeoutMs.ToString(CultureInfo.InvariantCulture)]));
    }

    /// <summary>
    /// Waits until the given members' assignments split the partitions: each owned by exactly one of them. Returns
    /// the time since <paramref name="since"/> was started (a kill, say), else the time waited.
    /// </summary>
    public async Task<TimeSpan> WaitForBalancedAsync(
        IEnumerable<GroupMemberProcess> members, TimeSpan? timeout = null, Func<bool>? also = null, Stopwatch? since = null)
    {
        var list = members.ToList();
        var waited = await WaitUntilAsync(() =>
        {
            var owned = list.SelectMany(m => m.Assignment).ToList();
            return owned.Count == Partitions && owned.Distinct().Count() == Partitions && (also?.Invoke() ?? true);
        }, timeout ?? Deadline, "balanced assignment over " + string.Join(", ", list));
        return since?.Elapsed ?? waited;
    }

    /// <summary>
    /// Kills the member (SIGKILL) and asserts its partitions went to the survivors once its session expired: not
    /// before half the session timeout (so by the session, not by a closed connection) and within it plus a margin
    /// for the survivors' rejoin.
    /// </summary>
    public async Task<TimeSpan> KillAndAwaitFailoverAsync(GroupMemberProcess victim, IReadOnlyList<GroupMemberProcess> survivors, int eachOwns)
    {
        var sinceKill = Stopwatch.StartNew();
        victim.Kill();
        var failover = await WaitForBalancedAsync(survivors, also: () => survivors.All(m => m.Assignment.Count == eachOwns), since: sinceKill);
        _output.WriteLine($"partitions of the killed member {victim.Name} reassigned after {failover.TotalMilliseconds:0} ms");
        Assert.True(failover > TimeSpan.FromMilliseconds(SessionTimeoutMs / 2) && failover < TimeSpan.FromMilliseconds(SessionTimeoutMs + 4000),
            $"reassignment took {failover.TotalMilliseconds:0} ms with a {SessionTimeoutMs} ms session timeout\n{Describe()}");
        return failover;
    }

    /// <summary>Waits until everything produced so far was read by some member (of <paramref name="group"/>'s members).</summary>
    public Task<TimeSpan> WaitForAllReadAsync(IEnumerable<GroupMemberProcess>? members = null, TimeSpan? timeout = null)
    {
        var list = (members ?? _members).ToList();
        return WaitUntilAsync(() =>
        {
            var next = new long[Partitions];
            foreach (var read in list.SelectMany(m => m.Reads()))
            {
                next[read.Partition] = Math.Max(next[read.Partition], read.Offset + 1);
            }

            return next.SequenceEqual(Ends);
        }, timeout ?? Deadline, "every produced record read");
    }

    /// <summary>
    /// Asserts the members (default: all of this scenario's) read every offset below the ends, nothing else, and
    /// read an offset twice only when a read of it was not covered by a successful commit (a failed commit, or a
    /// member killed before committing).
    /// </summary>
    public void AssertExactlyEverythingRead(IEnumerable<GroupMemberProcess>? members = null, long[]? from = null)
    {
        var reads = (members ?? _members).SelectMany(m => m.Reads()).GroupBy(r => (r.Partition, r.Offset))
            .ToDictionary(g => g.Key, g => g.ToList());
        var missing = new List<string>();
        var duplicates = new List<string>();
        for (var p = 0; p < Partitions; p++)
        {
            for (var offset = from?[p] ?? 0; offset < Ends[p]; offset++)
            {
                if (!reads.TryGetValue((p, offset), out var seen))
                {
                    missing.Add($"{p}@{offset}");
                }
                else if (seen.Count > 1 && seen.All(r => r.Committed))
                {
                    duplicates.Add($"{p}@{offset}x{seen.Count}");
                }
            }
        }

        var extra = reads.Keys.Where(k => k.Offset >= Ends[k.Partition] || k.Offset < (from?[k.Partition] ?? 0)).ToList();
        Assert.True(missing.Count == 0 && duplicates.Count == 0 && extra.Count == 0,
            $"missing {missing.Count} ({string.Join(' ', missing.Take(20))}), duplicates of committed reads " +
            $"{duplicates.Count} ({string.Join(' ', duplicates.Take(20))}), outside the expected range {extra.Count}\n{Describe()}");
    }

    /// <summary>Creates the stop file and waits for every live member to exit cleanly with ok in its summary.</summary>
    public async Task StopAllAsync()
    {
        await File.WriteAllTextAsync(_stopFile, "stop");
        foreach (var member in Live.ToList())
        {
            var summary = await member.WaitForSummaryAsync(TimeSpan.FromSeconds(30));
            _output.WriteLine($"{member.Name}: {summary.GetRawText()}");
            Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        }

        File.Delete(_stopFile);
    }

    /// <summary>
    /// Stops one member cleanly (it leaves the group) and asserts the others took over its partitions well before a
    /// session timeout, as only a LeaveGroup allows.
    /// </summary>
    public async Task<TimeSpan> StopAndAwaitHandoverAsync(GroupMemberProcess leaver, IReadOnlyList<GroupMemberProcess> others, int eachOwns)
    {
        var sinceStop = Stopwatch.StartNew();
        await File.WriteAllTextAsync($"{_stopFile}.{leaver.Name}", "stop");
        var summary = await leaver.WaitForSummaryAsync(TimeSpan.FromSeconds(30));
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        var handover = await WaitForBalancedAsync(others, also: () => others.All(m => m.Assignment.Count == eachOwns), since: sinceStop);
        _output.WriteLine($"partitions of the leaving member {leaver.Name} reassigned after {handover.TotalMilliseconds:0} ms");
        Assert.True(handover < TimeSpan.FromMilliseconds(SessionTimeoutMs / 2),
            $"reassignment after a clean leave took {handover.TotalMilliseconds:0} ms\n{Describe()}");
        return handover;
    }

    public async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout.TotalSeconds:0} s: {what}\n{Describe()}");
            }

            if (Live.FirstOrDefault(HasExited) is { } dead)
            {
                throw new InvalidOperationException($"member {dead.Name} exited while waiting for: {what}\n{Describe()}");
            }

            await Task.Delay(50); // polling interval of the condition, not a synchronisation
        }

        return watch.Elapsed;
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"topic {Topic} ends [{string.Join(',', Ends)}], group {Group}");
        foreach (var m in _members)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"--- {m}{(m.Killed ? " (killed)" : "")} ---");
            text.AppendLine(Tail(m.Stdout, 1500));
            if (m.Stderr.Length > 0)
            {
                text.AppendLine("stderr: " + Tail(m.Stderr, 1500));
            }
        }

        text.AppendLine("--- broker (tail) ---");
        text.AppendLine(Tail(_brokerLog(), 2000));
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (var member in _members)
        {
            member.Dispose();
            File.Delete($"{_stopFile}.{member.Name}");
        }

        File.Delete(_stopFile);
    }

    private static bool HasExited(GroupMemberProcess member) =>
        member.Stdout.Split('\n').Any(l => l.StartsWith("{\"ok\"", StringComparison.Ordinal));

    private GroupMemberProcess Add(GroupMemberProcess member)
    {
        _members.Add(member);
        return member;
    }

    private static string Tail(string text, int max) => text.Length <= max ? text : "..." + text[^max..];
}
