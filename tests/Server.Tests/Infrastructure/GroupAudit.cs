using System.Text.Json;
using KafkaOperator.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// A librdkafka consumer group of two members (durability_group.py, confluent-kafka-python, eager range assignment,
/// a synchronous commit after every batch) that reads the <see cref="DurabilityStorm"/>'s topic from before a
/// disruption until after it, and its check (group_verify.py): every acknowledged record consumed by the group, and
/// nothing read again that a successful commit had covered (records after a member's last commit may come again
/// after a rebalance or a coordinator move: Kafka's at-least-once). The second member joins once the first has
/// committed, and leaves once the storm is over, so the group rebalances twice around whatever the test does.
/// </summary>
public sealed class GroupAudit : IDisposable
{
    private static readonly TimeSpan ScriptWait = TimeSpan.FromSeconds(90 * Eventually.Scale);
    private readonly string _python;
    private readonly string _bootstrap;
    private readonly string _topic;
    private readonly string _dir;
    private readonly ITestOutputHelper _output;
    private readonly List<Member> _members = [];

    private GroupAudit(string python, string bootstrap, string topic, string dir, ITestOutputHelper output)
    {
        _python = python;
        _bootstrap = bootstrap;
        _topic = topic;
        _dir = dir;
        _output = output;
        Group = "audit-" + Guid.NewGuid().ToString("N")[..8];
    }

    public string Group { get; }

    private sealed record Member(string Name, RunningScript Script, string RecordFile, string StopFile);

    /// <summary>
    /// Starts the first member, waits for its first commit (the storm must be writing), then the second, and waits
    /// for the second's first commit (the group has rebalanced onto both).
    /// </summary>
    public static async Task<GroupAudit> StartAsync(string python, BrokerCluster cluster, string topic, string dir, ITestOutputHelper output)
    {
        var audit = new GroupAudit(python, cluster.BootstrapServers, topic, dir, output);
        try
        {
            var first = audit.StartMember("a");
            await first.Script.WaitForLineAsync("COMMITTED", ScriptWait);
            var second = audit.StartMember("b");
            await second.Script.WaitForLineAsync("COMMITTED", ScriptWait);
            return audit;
        }
        catch
        {
            audit.Dispose();
            throw;
        }
    }

    private Member StartMember(string name)
    {
        var member = new Member(name, RunningScript.Start(_python,
            [Path.Combine(RepoPaths.PythonDir, "durability_group.py"), _bootstrap, _topic, Group, name,
             Path.Combine(_dir, $"group-{Group}-{name}.txt"), Path.Combine(_dir, $"group-{Group}-{name}.stop")]),
            Path.Combine(_dir, $"group-{Group}-{name}.txt"), Path.Combine(_dir, $"group-{Group}-{name}.stop"));
        _members.Add(member);
        return member;
    }

    /// <summary>
    /// After the storm: the second member leaves and its partitions go back to the first, which reads and commits up to
    /// every partition's end and closes; and group_verify.py checks what they read
    /// against <paramref name="ackFile"/>. Returns its summary.
    /// </summary>
    public async Task<JsonElement> FinishAndVerifyAsync(KafkaAdminClient admin, string ackFile)
    {
        await StopAsync(_members[^1]);
        var ends = (await admin.ListTopicOffsetsAsync(_topic, OffsetSpec.Latest)).ToDictionary(e => e.Partition, e => e.Offset);
        // The first member takes over every partition from the group's commits (another rebalance).
        var everything = $"ASSIGNED [{string.Join(", ", ends.Keys.Select(k => k.Partition).Order())}]";
        await Eventually.WaitForAsync(_output, TimeSpan.FromSeconds(60),
            () => Task.FromResult(_members[0].Script.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("ASSIGNED", StringComparison.Ordinal))?.TrimEnd('\r')),
            last => last == everything, $"member {_members[0].Name} assigned every partition once {_members[^1].Name} left");
        await Eventually.WaitForAsync(_output, TimeSpan.FromSeconds(60), async () =>
            (await admin.ListGroupOffsetsAsync(Group, ends.Keys)).Select(o => (o.Partition.Partition, Committed: o.Succeeded ? o.Offset : -2, End: ends[o.Partition])).ToList(),
            committed => committed.Count == ends.Count && committed.All(c => c.Committed == c.End),
            "the group's commits at every partition's end");
        foreach (var member in _members.Take(_members.Count - 1))
            await StopAsync(member);

        var verify = await ClientScript.RunAsync(_python,
            [Path.Combine(RepoPaths.PythonDir, "group_verify.py"), ackFile, .. _members.Select(m => m.RecordFile)],
            TimeSpan.FromMinutes(2), _output);
        var summary = verify.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        // Both members read part of the topic: the group really was shared and handed partitions over.
        foreach (var member in _members)
            Assert.True(summary.GetProperty("members").GetProperty(Path.GetFileName(member.RecordFile)).GetProperty("records").GetInt32() > 0, summary.GetRawText());
        return summary;
    }

    private async Task StopAsync(Member member)
    {
        await File.WriteAllTextAsync(member.StopFile, "");
        var exit = await member.Script.WaitForExitAsync(ScriptWait);
        Assert.True(exit == 0, $"group member {member.Name} exit {exit}\n{DurabilityStorm.Tail(member.Script.Stdout)}\n{DurabilityStorm.Tail(member.Script.Stderr)}");
        _output.WriteLine($"group member {member.Name}: {member.Script.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()}");
    }

    public void Dispose()
    {
        foreach (var member in _members)
            member.Script.Dispose();
    }
}
