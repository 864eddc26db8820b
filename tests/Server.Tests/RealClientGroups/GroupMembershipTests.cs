using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClientGroups;

/// <summary>
/// Three members of one group on a 6-partition topic, each a separate client process: every partition is owned
/// by exactly one member; a member killed with SIGKILL loses its partitions to the others once its session times
/// out; a new member triggers a rebalance and gets a share; a member that
/// stops cleanly leaves the group, so its partitions move at once; across all of it the members read exactly what was
/// produced (a record is read twice only when the read was not covered by a successful commit).
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class GroupMembershipTests(GroupBrokerFixture fixture, ITestOutputHelper output) : IClassFixture<GroupBrokerFixture>
{
    private const int Batch = 3000;


    [Fact]
    public Task Confluent_python_members_split_fail_over_and_scale_out() =>
        SplitFailOverAndScaleOut(s => [s.StartPython("a"), s.StartPython("b"), s.StartPython("c")], s => s.StartPython("d"));

    [Fact]
    public Task Kafka_python_members_split_fail_over_and_scale_out() =>
        SplitFailOverAndScaleOut(
            s => [s.StartPython("a", "kafka-python"), s.StartPython("b", "kafka-python"), s.StartPython("c", "kafka-python")],
            s => s.StartPython("d", "kafka-python"));

    /// <summary>Different client libraries in one group agree on the "range" protocol and its assignment.</summary>
    [Fact]
    public Task Mixed_clients_split_fail_over_and_scale_out() =>
        SplitFailOverAndScaleOut(
            s => [s.StartPython("confluent", "confluent"), s.StartPython("kafka-python", "kafka-python"), s.StartNode("rdkafka-js", "rdkafka")],
            s => s.StartPython("confluent-2", "confluent"));

    [Fact]
    public Task Kafkajs_members_split_fail_over_and_scale_out() =>
        SplitFailOverAndScaleOut(
            s => [s.StartNode("a", "kafkajs"), s.StartNode("b", "kafkajs"), s.StartNode("c", "kafkajs")],
            s => s.StartNode("d", "kafkajs"));

    /// <summary>@confluentinc/kafka-javascript through its KafkaJS-compatible API.</summary>
    [Fact]
    public Task Confluent_js_kafkajs_api_members_split_fail_over_and_scale_out() =>
        SplitFailOverAndScaleOut(
            s => [s.StartNode("a", "ckjs"), s.StartNode("b", "ckjs"), s.StartNode("c", "ckjs")],
            s => s.StartNode("d", "ckjs"));

    private async Task SplitFailOverAndScaleOut(
        Func<GroupScenario, GroupMemberProcess[]> startThree, Func<GroupScenario, GroupMemberProcess> startFourth)
    {
        using var s = new GroupScenario(fixture.Broker, output, "group-" + Guid.NewGuid().ToString("N")[..8]);
        await s.ProduceAsync(Batch, create: true);
        var members = startThree(s);
        await s.WaitForBalancedAsync(members, also: () => members.All(m => m.Assignment.Count == 2));
        await s.WaitForAllReadAsync();

        var victim = members[2];
        var survivors = members[..2];
        await s.KillAndAwaitFailoverAsync(victim, survivors, eachOwns: 3);

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();

        var newcomer = startFourth(s);
        var grown = survivors.Append(newcomer).ToList();
        await s.WaitForBalancedAsync(grown, also: () => grown.All(m => m.Assignment.Count == 2));

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();
        await s.StopAndAwaitHandoverAsync(newcomer, survivors, eachOwns: 3);

        await s.ProduceAsync(Batch);
        await s.WaitForAllReadAsync();
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead();
        Assert.All(grown, m => Assert.NotEmpty(m.Reads()));
    }
}
