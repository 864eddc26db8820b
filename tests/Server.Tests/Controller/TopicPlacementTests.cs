using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class TopicPlacementTests
{
    private static async Task<(TopicManager Topics, QuorumMetadataStore Store)> ClusterAsync(params int[] brokers)
    {
        var (store, _) = ScriptedQuorum.Create();
        foreach (var id in brokers)
            await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", "h", 9092)], null));
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0", ["num.partitions"] = "6" });
        return (new TopicManager(config, store), store);
    }

    [Fact]
    public async Task Partitions_are_spread_over_every_live_broker_and_grow_onto_them_too()
    {
        var (topics, store) = await ClusterAsync(0, 1, 2);
        await using var _store = store;

        var created = await topics.CreateAsync("spread", 6, 1, null, null, validateOnly: false);

        Assert.Equal(ErrorCode.None, created.Error);
        var leaders = store.Image.Topic("spread")!.Partitions.Select(p => p.Leader).ToList();
        Assert.Equal([0, 1, 2], leaders.Distinct().Order());
        Assert.All(leaders.GroupBy(l => l), g => Assert.Equal(2, g.Count()));

        var grown = await topics.AddPartitionsAsync("spread", 9, null, validateOnly: false);
        Assert.Equal(ErrorCode.None, grown.Error);
        Assert.Equal([0, 1, 2], store.Image.Topic("spread")!.Partitions[6..].Select(p => p.Leader).Order());
    }

    [Fact]
    public async Task Fenced_brokers_get_no_new_partitions()
    {
        var (topics, store) = await ClusterAsync(0, 1, 2);
        await using var _store = store;
        await store.ProposeAsync(new FenceBrokerRecord(1, store.Image.Brokers[1].Epoch));

        Assert.Equal(ErrorCode.None, (await topics.CreateAsync("two", 4, 1, null, null, false)).Error);

        Assert.DoesNotContain(1, store.Image.Topic("two")!.Partitions.Select(p => p.Leader));
    }

    [Fact]
    public async Task Replicas_go_to_distinct_brokers_with_leaders_spread_and_too_many_are_refused()
    {
        var (topics, store) = await ClusterAsync(0, 1, 2);
        await using var _store = store;

        var three = await topics.CreateAsync("rf3", 6, 3, null, null, false);
        var four = await topics.CreateAsync("rf4", 3, 4, null, null, false);
        var manual = await topics.CreateAsync("manual", -1, -1, new Dictionary<string, int[]> { ["0"] = [0, 1] }, null, false);
        var unknown = await topics.CreateAsync("unknown", -1, -1, new Dictionary<string, int[]> { ["0"] = [7] }, null, false);
        var zero = await topics.CreateAsync("rf0", 1, 0, null, null, false);
        var negative = await topics.CreateAsync("rf-2", 1, -2, null, null, false);
        var negativeWithAssignment = await topics.CreateAsync("rf-2a", -1, -2, new Dictionary<string, int[]> { ["0"] = [0] }, null, false);

        Assert.Equal(ErrorCode.None, three.Error);
        Assert.All(three.Topic!.Partitions, p => Assert.Equal(3, p.Replicas.Distinct().Count()));
        Assert.All(three.Topic!.Partitions, p => Assert.Equal(p.Replicas, p.Isr));
        Assert.Equal([2, 2, 2], three.Topic!.Partitions.GroupBy(p => p.Leader).Select(g => g.Count()));
        // The partitions a broker leads have their first follower on different brokers (Kafka's shifted followers):
        // a broker that stops does not hand all its leaderships to one other broker.
        Assert.All(three.Topic!.Partitions.GroupBy(p => p.Leader), g => Assert.Equal(2, g.Select(p => p.Replicas[1]).Distinct().Count()));
        Assert.Equal(ErrorCode.InvalidReplicationFactor, four.Error);
        Assert.Contains("replication factor of 4 cannot be reached because only 3 broker(s)", four.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.None, manual.Error);
        Assert.Equal([0, 1], manual.Topic!.Partitions[0].Replicas);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, unknown.Error);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, zero.Error);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, negative.Error);
        Assert.Equal(ErrorCode.InvalidRequest, negativeWithAssignment.Error);
        Assert.Equal(["manual", "rf3"], store.Image.TopicsByName.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_manual_assignment_to_a_registered_broker_is_kept()
    {
        var (topics, store) = await ClusterAsync(0, 1, 2);
        await using var _store = store;

        var created = await topics.CreateAsync("pinned", -1, -1, new Dictionary<string, int[]> { ["0"] = [2], ["1"] = [2] }, null, false);

        Assert.Equal(ErrorCode.None, created.Error);
        Assert.Equal([2, 2], store.Image.Topic("pinned")!.Partitions.Select(p => p.Leader));
    }
}
