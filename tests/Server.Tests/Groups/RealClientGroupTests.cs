using System.Text.Json;
using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;

namespace KafkaOperator.Server.Tests.Groups;

/// <summary>
/// librdkafka consumers (confluent-kafka-python) against an in-process broker: the group promise end to end.
/// Every wait polls the members' output against a deadline.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class RealClientGroupTests : IDisposable
{
    private const string Topic = "six";
    private const int PerPartition = 50;
    private const int SessionTimeoutMs = 3000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly List<(RunningScript Script, string StopFile)> _members = [];
    private readonly string _stopDir = TestBroker.NewDir();

    public void Dispose()
    {
        foreach (var (script, _) in _members)
            script.Dispose();
        Directory.Delete(_stopDir, recursive: true);
    }

    [Fact]
    public async Task Members_share_partitions_exclusively_take_over_from_a_killed_member_and_resume_after_restart()
    {
        await using var broker = await GroupWire.StartAsync();
        Assert.Equal(ErrorCode.None, (await broker.Host.Services.Topics.CreateAsync(Topic, 6, 1, null, null, false)).Error);
        Produce(broker, PerPartition);

        // Three members of one group: each partition owned by exactly one, together they read everything.
        var a = Start(broker, "three");
        var b = Start(broker, "three");
        var c = Start(broker, "three");
        await UntilAsync(() => Owners([a, b, c]) is { } owners && owners.All(o => o.Count > 0), "three members each own partitions, disjointly, all six covered");
        await UntilAsync(() => Consumed([a, b, c]).Count == 6 * PerPartition, "the three members together read every record");

        // A killed member's partitions go to the others within the session timeout (plus a rebalance).
        var killedAt = DateTime.UtcNow;
        c.Script.Kill();
        await UntilAsync(() => Owners([a, b]) is { } owners && owners.All(o => o.Count > 0), "two members own all six partitions");
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromMilliseconds(SessionTimeoutMs + 8000), "the dead member's partitions were reassigned in time");

        // A new member gets a share.
        var d = Start(broker, "three");
        await UntilAsync(() => Owners([a, b, d]) is { } owners && owners.All(o => o.Count > 0), "the new member got a share");

        // Another group reads the same topic independently.
        var other = Start(broker, "other");
        await UntilAsync(() => Consumed([other]).Count == 6 * PerPartition, "the second group read everything too");

        // Auto-commit brings every partition's committed offset to the log end (a killed member's uncommitted reads
        // are read again by whoever took its partitions); then a clean stop leaves them there.
        await UntilAsync(() => broker.Host.Services.Groups.Lag("three") is { Count: 6 } lag && lag.All(l => l.Lag == 0), "the group committed all six partitions at the log end");
        await StopAsync(a, b, d, other);
        var coordinator = broker.Host.Services.Groups.Coordinator;
        Assert.Equal(GroupState.Empty, coordinator.DescribeGroup("three").State);
        Assert.All(broker.Host.Services.Groups.Lag("three"), lag => Assert.Equal(0, lag.Lag));
        Assert.Equal(6, broker.Host.Services.Groups.Lag("three").Count);

        // Restart the broker with more records: a member of the group resumes where the group committed.
        Produce(broker, 10);
        await broker.RestartAsync(GroupWire.Overrides());
        var resumed = Start(broker, "three");
        await UntilAsync(() => Consumed([resumed]).Count == 60, "the restarted group read only the new records");
        Assert.All(Consumed([resumed]), r => Assert.True(r.Offset >= PerPartition, $"partition {r.Partition} offset {r.Offset} was read again"));
        await StopAsync(resumed);
    }

    private static void Produce(TestBroker broker, int perPartition)
    {
        for (var p = 0; p < 6; p++)
        {
            using var builder = new RecordBatchBuilder();
            for (var i = 0; i < perPartition; i++)
                builder.Add(0, null, [(byte)i]);
            Assert.Equal(ErrorCode.None, broker.Host.Services.Replicas.Get(Topic, p)!.Append(builder.ToArray(), -1).Error);
        }
    }

    private (RunningScript Script, string StopFile) Start(TestBroker broker, string group)
    {
        var stop = Path.Combine(_stopDir, Guid.NewGuid().ToString("N"));
        var script = RunningScript.Start(RepoPaths.Python,
            [Path.Combine(RepoPaths.PythonDir, "group_member.py"), $"127.0.0.1:{broker.Port}", group, Topic, SessionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture), stop]);
        _members.Add((script, stop));
        return (script, stop);
    }

    // One at a time: members that leave together trigger rebalances that make the others' final commits fail with
    // REBALANCE_IN_PROGRESS (as on Kafka), so a partition whose records were read but not yet auto-committed would
    // keep no offset. Stopped in turn, the last member holds every partition and its closing commit covers them.
    private static async Task StopAsync(params (RunningScript Script, string StopFile)[] members)
    {
        foreach (var m in members)
        {
            await File.WriteAllTextAsync(m.StopFile, "");
            await m.Script.WaitForLineAsync("CLOSED", Deadline);
        }
    }

    /// <summary>Each member's latest assignment, or null unless they are disjoint and cover all six partitions.</summary>
    private static List<List<int>>? Owners(IEnumerable<(RunningScript Script, string StopFile)> members)
    {
        var owners = members.Select(m => m.Script.Stdout.Split('\n').Where(l => l.StartsWith("ASSIGN ", StringComparison.Ordinal)).LastOrDefault() is { } line
            ? JsonSerializer.Deserialize<List<int>>(line["ASSIGN ".Length..])!
            : []).ToList();
        var all = owners.SelectMany(o => o).ToList();
        return all.Count == 6 && all.Distinct().Count() == 6 ? owners : null;
    }

    private static HashSet<(int Partition, long Offset)> Consumed(IEnumerable<(RunningScript Script, string StopFile)> members)
    {
        var seen = new HashSet<(int, long)>();
        foreach (var m in members)
        {
            foreach (var line in m.Script.Stdout.Split('\n'))
            {
                var parts = line.Trim().Split(' ');
                if (parts.Length == 3 && parts[0] == "MSG")
                    seen.Add((int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        return seen;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }
}
