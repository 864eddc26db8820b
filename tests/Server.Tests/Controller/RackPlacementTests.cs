using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>broker.rack in the registrations, and placement that spreads each partition over as many racks as it can.</summary>
public sealed class RackPlacementTests
{
    private static async Task<(TopicManager Topics, QuorumMetadataStore Store)> ClusterAsync(params string?[] racks)
    {
        var (store, _) = ScriptedQuorum.Create();
        for (var id = 0; id < racks.Length; id++)
            await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", "h", 9092)], racks[id]));
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0" });
        return (new TopicManager(config, store), store);
    }

    [Fact]
    public async Task Each_partition_spans_every_rack_with_replicas_and_leaders_even()
    {
        var (topics, store) = await ClusterAsync("a", "a", "b", "b", "c", "c");
        await using var _store = store;

        var created = await topics.CreateAsync("spread", 12, 3, null, null, validateOnly: false);

        Assert.Equal(ErrorCode.None, created.Error);
        var partitions = store.Image.Topic("spread")!.Partitions;
        var racks = store.Image.Brokers.ToDictionary(b => b.Key, b => b.Value.Rack);
        Assert.All(partitions, p => Assert.Equal(3, p.Replicas.Select(r => racks[r]).Distinct().Count()));
        Assert.All(partitions.SelectMany(p => p.Replicas).GroupBy(r => r), g => Assert.Equal(6, g.Count()));
        Assert.All(partitions.GroupBy(p => p.Replicas[0]), g => Assert.Equal(2, g.Count()));
        Assert.Equal(6, partitions.Select(p => p.Replicas[0]).Distinct().Count());
    }

    [Fact]
    public async Task Uneven_racks_and_any_replication_factor_get_as_many_racks_as_possible()
    {
        foreach (var racks in new[] { new[] { "a", "a", "a", "b" }, ["x", "y", "y", "z", "z", "z", "z"], ["r1", "r2", "r1", "r2", "r1"] })
        {
            for (short rf = 1; rf <= racks.Length; rf++)
            {
                var (topics, store) = await ClusterAsync(racks);
                await using var _store = store;
                var name = $"t{rf}";

                Assert.Equal(ErrorCode.None, (await topics.CreateAsync(name, 10, rf, null, null, false)).Error);
                Assert.Equal(ErrorCode.None, (await topics.AddPartitionsAsync(name, 17, null, false)).Error);

                var want = Math.Min(rf, racks.Distinct().Count());
                Assert.All(store.Image.Topic(name)!.Partitions, p =>
                {
                    Assert.Equal(rf, p.Replicas.Distinct().Count());
                    Assert.Equal(want, p.Replicas.Select(r => racks[r]).Distinct().Count());
                });
            }
        }
    }

    [Fact]
    public async Task Brokers_without_racks_keep_the_rack_unaware_placement()
    {
        var (rackless, store) = await ClusterAsync(null, null, null);
        await using var _store = store;

        var created = await rackless.CreateAsync("plain", 6, 2, null, null, false);

        Assert.Equal(ErrorCode.None, created.Error);
        Assert.Equal(TopicPlacement.Place("plain", 0, 6, 2, [0, 1, 2]), created.Topic!.Partitions.Select(p => p.Replicas));
    }

    [Fact]
    public async Task Manual_assignments_need_distinct_registered_brokers_and_one_replication_factor()
    {
        var (topics, store) = await ClusterAsync("a", "b", "c");
        await using var _store = store;

        var mixed = await topics.CreateAsync("mixed", -1, -1, new Dictionary<string, int[]> { ["0"] = [0, 1], ["1"] = [2] }, null, false);
        var duplicate = await topics.CreateAsync("dup", -1, -1, new Dictionary<string, int[]> { ["0"] = [1, 1] }, null, false);
        var unknown = await topics.CreateAsync("unknown", -1, -1, new Dictionary<string, int[]> { ["0"] = [0, 9] }, null, false);
        Assert.Equal(ErrorCode.None, (await topics.CreateAsync("good", -1, -1, new Dictionary<string, int[]> { ["0"] = [0, 1], ["1"] = [1, 2] }, null, false)).Error);
        var narrower = await topics.AddPartitionsAsync("good", 3, [[2]], false);
        var wider = await topics.AddPartitionsAsync("good", 3, [[0, 1, 2]], false);
        var fits = await topics.AddPartitionsAsync("good", 3, [[2, 0]], false);

        Assert.Equal(ErrorCode.InvalidReplicaAssignment, mixed.Error);
        Assert.Contains("partition 0 has 2 while partition 1 has 1", mixed.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, duplicate.Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, unknown.Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, narrower.Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, wider.Error);
        Assert.Contains("which have 2 replica(s)", wider.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.None, fits.Error);
        Assert.Equal(["good"], store.Image.TopicsByName.Keys);
        Assert.Equal(3, store.Image.Topic("good")!.Partitions.Length);
    }
}
