using System.Globalization;
using System.Text.Json;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>
/// Committed offsets: kcat -G and a kafkajs group consume a topic fully and commit, and resume there; two groups
/// read one topic independently; and commits survive a broker restart, so consumers started afterwards resume at
/// them with nothing lost or read again.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class GroupOffsetTests(GroupBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<GroupBrokerFixture>
{
    private const int Batch = 3000;

    [Fact]
    public Task Kcat_balanced_consumer_reads_everything_commits_and_resumes() =>
        ConsumeCommitAndResume(RepoPaths.RequirePython(), s => [Path.Combine(RepoPaths.PythonDir, "groups_kcat.py"),
            fixture.Broker.BootstrapServers, s.Topic, s.Group, s.Partitions.ToString(CultureInfo.InvariantCulture)],
            () => RepoPaths.RequireTool("kcat", "kafkacat"));

    [Fact]
    public Task Kafkajs_group_reads_everything_commits_and_resumes() =>
        ConsumeCommitAndResume(RepoPaths.RequireTool("node"), s => [Path.Combine(RepoPaths.NodeDir, "groups_kafkajs_consume.js"),
            fixture.Broker.BootstrapServers, s.Topic, s.Group], () => RepoPaths.RequireNodeModule("kafkajs"));

    [Fact]
    public async Task Two_groups_each_read_the_whole_topic_independently()
    {
        using var s = new GroupScenario(fixture.Broker, output, "two-a-" + Guid.NewGuid().ToString("N")[..8]);
        var other = "two-b-" + Guid.NewGuid().ToString("N")[..8];
        await s.ProduceAsync(Batch, create: true);
        GroupMemberProcess[] a = [s.StartPython("a1"), s.StartPython("a2")];
        GroupMemberProcess[] b = [s.StartPython("b1", "kafka-python", group: other), s.StartNode("b2", "rdkafka", group: other)];
        await s.WaitForBalancedAsync(a, also: () => a.All(m => m.Assignment.Count == 3));
        await s.WaitForBalancedAsync(b, also: () => b.All(m => m.Assignment.Count == 3));
        await s.WaitForAllReadAsync(a);
        await s.WaitForAllReadAsync(b);
        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync(a);
        await s.WaitForAllReadAsync(b);
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead(a);
        s.AssertExactlyEverythingRead(b);
    }

    /// <summary>Consumers commit and stop, the broker restarts on its data (SIGTERM or SIGKILL), new consumer
    /// processes of the same group read exactly the records produced after the commits.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Committed_offsets_survive_a_broker_restart(bool sigkill)
    {
        await using var broker = await BrokerProcess.StartAsync(output, GroupBrokerFixture.Overrides);
        using var s = new GroupScenario(broker, output, "restart-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        GroupMemberProcess[] before = [s.StartPython("a"), s.StartPython("b", "kafka-python"), s.StartNode("c", "rdkafka")];
        await s.WaitForBalancedAsync(before, also: () => before.All(m => m.Assignment.Count == 2));
        await s.WaitForAllReadAsync();
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead();
        var committedEnds = s.Ends.ToArray();

        if (sigkill)
        {
            broker.Kill();
        }
        else
        {
            Assert.Equal(0, await broker.StopAsync(TimeSpan.FromSeconds(30)));
        }

        await broker.RestartAsync();
        await s.ProduceAsync(Batch);
        GroupMemberProcess[] after = [s.StartPython("a2"), s.StartPython("b2", "kafka-python"), s.StartNode("c2", "rdkafka")];
        await s.WaitForAllReadAsync(after);
        // As before the restart: stop only a settled group. The members join one by one, so the records can all be
        // read while the last one is still joining; stopping then cut a rebalance short.
        await s.WaitForBalancedAsync(after, also: () => after.All(m => m.Assignment.Count == 2));
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead(after, from: committedEnds);
    }

    private async Task ConsumeCommitAndResume(string tool, Func<GroupScenario, List<string>> arguments, Action requireClient)
    {
        requireClient();
        using var s = new GroupScenario(fixture.Broker, output, "full-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        var first = await RunAsync(tool, arguments(s));
        AssertRead(first, s, new long[s.Partitions]);

        var committed = s.Ends.ToArray();
        await s.ProduceAsync(Batch);
        var second = await RunAsync(tool, arguments(s));
        AssertRead(second, s, committed);
    }

    private async Task<JsonElement> RunAsync(string tool, List<string> arguments)
    {
        var result = await ClientScript.RunAsync(tool, arguments, TimeSpan.FromSeconds(90), output);
        var summary = result.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText() + "\n" + Tail(fixture.Broker.Log));
        return summary;
    }

    /// <summary>Each partition read from <paramref name="from"/> to its end, every offset once; committed at the end.</summary>
    private static void AssertRead(JsonElement summary, GroupScenario s, long[] from)
    {
        var read = summary.GetProperty("read");
        for (var p = 0; p < s.Partitions; p++)
        {
            var key = p.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(s.Ends[p], summary.GetProperty("committed").GetProperty(key).GetInt64());
            var span = read.GetProperty(key);
            Assert.Equal(from[p], span.GetProperty("first").GetInt64());
            Assert.Equal(s.Ends[p] - 1, span.GetProperty("last").GetInt64());
            Assert.Equal(s.Ends[p] - from[p], span.GetProperty("count").GetInt64());
            Assert.Equal(s.Ends[p] - from[p], span.GetProperty("distinct").GetInt64());
        }
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];
}
