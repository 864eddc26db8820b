using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Tests.FollowerReads;

/// <summary>Kafka's RackAwareReplicaSelector rules, and the config key that turns it on.</summary>
public sealed class ReadReplicaSelectorTests
{
    private static readonly ReadReplicaView Leader = new(0, "a", 100, 0);

    [Fact]
    public void A_consumer_without_a_rack_or_in_the_leaders_rack_or_in_a_rack_without_replicas_reads_from_the_leader()
    {
        ReadReplicaView[] followers = [new(1, "b", 100, 0), new(2, "c", 100, 0)];
        Assert.Equal(-1, ReadReplicaSelector.Select(null, Leader, followers));
        Assert.Equal(-1, ReadReplicaSelector.Select("", Leader, followers));
        Assert.Equal(-1, ReadReplicaSelector.Select("a", Leader, [new(1, "a", 100, 0)]));
        Assert.Equal(-1, ReadReplicaSelector.Select("z", Leader, followers));
    }

    [Fact]
    public void A_consumer_in_a_followers_rack_reads_from_the_most_caught_up_replica_there()
    {
        Assert.Equal(2, ReadReplicaSelector.Select("c", Leader, [new(1, "b", 100, 0), new(2, "c", 90, 0)]));
        Assert.Equal(3, ReadReplicaSelector.Select("b", Leader, [new(1, "b", 90, 0), new(3, "b", 95, 500), new(2, "c", 100, 0)]));
        // Same log end: the one that caught up most recently.
        Assert.Equal(1, ReadReplicaSelector.Select("b", Leader, [new(3, "b", 95, 500), new(1, "b", 95, 20)]));
    }

    [Fact]
    public void Only_kafkas_rack_aware_selector_class_is_accepted()
    {
        var key = BrokerConfigDefs.All.Single(k => k.Name == "replica.selector.class");
        Assert.Null(key.DefaultValue);
        Assert.Null(key.Validate(null));
        Assert.Null(key.Validate("org.apache.kafka.common.replica.RackAwareReplicaSelector"));
        Assert.Contains("replica.selector.class", key.Validate("com.example.NearestSelector"), StringComparison.Ordinal);
        Assert.True(BrokerConfig.Create(new Dictionary<string, string> { ["replica.selector.class"] = ReadReplicaSelector.RackAwareClassName }).RackAwareReplicaSelector);
        Assert.False(BrokerConfig.Create(new Dictionary<string, string>()).RackAwareReplicaSelector);
    }
}
