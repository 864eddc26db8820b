using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>ElectLeaders' decisions (KRaft's electLeader) and the rebalancer's imbalance and choices, on hand-built images.</summary>
public sealed class LeaderElectionTests
{
    private static readonly Guid Id = Guid.NewGuid();

    /// <summary>An image with brokers 0..2 registered (those in <paramref name="fenced"/> fenced) and one topic "t" of the given partitions.</summary>
    private static MetadataImage Image(PartitionMetadata[] partitions, params int[] fenced) => Image([new TopicMetadata("t", Id, partitions, new Dictionary<string, string>())], fenced);

    private static MetadataImage Image(TopicMetadata[] topics, params int[] fenced)
    {
        var brokers = Enumerable.Range(0, 3).ToDictionary(i => i, i => new BrokerInfo(i, 10 + i, [], null, Fenced: fenced.Contains(i)));
        return new MetadataImage(topics.ToDictionary(t => t.Name), topics.ToDictionary(t => t.TopicId), new Dictionary<string, string>(), 0, brokers, 0);
    }

    private static ElectionDecision Decide(MetadataImage image, int partition, ElectionType type) =>
        LeaderElection.Decide(image, image.Topic("t")!, partition, type);

    [Fact]
    public void Preferred_election_moves_leadership_to_the_first_replica_when_it_is_in_sync_and_alive()
    {
        var image = Image([new PartitionMetadata(0, 1, 4, [0, 1, 2], [1, 2, 0], PartitionEpoch: 9)]);

        var decision = Decide(image, 0, ElectionType.Preferred);

        Assert.Equal(ErrorCode.None, decision.Error);
        Assert.Equal(new PartitionChangeRecord(Id, 0, 9, 0, null), decision.Change);
    }

    [Fact]
    public void Preferred_election_is_not_needed_when_the_preferred_replica_leads()
    {
        var decision = Decide(Image([new PartitionMetadata(0, 0, 4, [0, 1, 2], [0, 1, 2])]), 0, ElectionType.Preferred);

        Assert.Equal(ErrorCode.ElectionNotNeeded, decision.Error);
        Assert.Null(decision.Change);
    }

    [Fact]
    public void The_preferred_leader_is_not_available_out_of_sync_or_fenced()
    {
        var outOfSync = Decide(Image([new PartitionMetadata(0, 1, 4, [0, 1, 2], [1, 2])]), 0, ElectionType.Preferred);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, outOfSync.Error);
        Assert.Contains("not in the ISR", outOfSync.Message, StringComparison.Ordinal);
        Assert.Null(outOfSync.Change);

        var fenced = Decide(Image([new PartitionMetadata(0, 1, 4, [0, 1, 2], [0, 1, 2])], fenced: 0), 0, ElectionType.Preferred);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, fenced.Error);
        Assert.Contains("not alive", fenced.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_partition_is_unknown_topic_or_partition()
    {
        var image = Image([new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2])]);

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Decide(image, 1, ElectionType.Preferred).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Decide(image, -1, ElectionType.Unclean).Error);
    }

    [Fact]
    public void Unclean_election_is_not_needed_while_a_leader_exists()
    {
        var decision = Decide(Image([new PartitionMetadata(0, 2, 4, [0, 1, 2], [2])]), 0, ElectionType.Unclean);

        Assert.Equal(ErrorCode.ElectionNotNeeded, decision.Error);
    }

    [Fact]
    public void Unclean_election_prefers_a_live_in_sync_replica_then_the_first_live_replica()
    {
        // The only in-sync replica (2) is alive: a clean election, ISR unchanged.
        var clean = Decide(Image([new PartitionMetadata(0, -1, 4, [0, 1, 2], [2], PartitionEpoch: 3)]), 0, ElectionType.Unclean);
        Assert.Equal(new PartitionChangeRecord(Id, 0, 3, 2, null), clean.Change);

        // It is fenced: the first live replica leads alone, marked unclean.
        var unclean = Decide(Image([new PartitionMetadata(0, -1, 4, [0, 1, 2], [2], PartitionEpoch: 3)], fenced: [0, 2]), 0, ElectionType.Unclean);
        Assert.Equal(ErrorCode.None, unclean.Error);
        Assert.Equal(1, unclean.Change!.Leader);
        Assert.Equal([1], unclean.Change.Isr!);
        Assert.True(unclean.Change.Unclean);

        var none = Decide(Image([new PartitionMetadata(0, -1, 4, [0, 1, 2], [2])], fenced: [0, 1, 2]), 0, ElectionType.Unclean);
        Assert.Equal(ErrorCode.EligibleLeadersNotAvailable, none.Error);
        Assert.Null(none.Change);
    }

    [Fact]
    public void Imbalance_per_broker_is_partitions_it_is_preferred_for_but_does_not_lead_over_those_it_is_preferred_for()
    {
        var image = Image(
        [
            new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2]),
            new PartitionMetadata(1, 2, 1, [0, 2, 1], [0, 1, 2]),
            new PartitionMetadata(2, 2, 1, [0, 1, 2], [0, 1, 2]),
            new PartitionMetadata(3, 1, 0, [1, 2, 0], [0, 1, 2]),
            new PartitionMetadata(4, -1, 3, [1, 0, 2], [1]),
        ]);

        var imbalance = LeaderRebalancer.Imbalance(image);

        Assert.Equal([new BrokerImbalance(0, 3, 2), new BrokerImbalance(1, 2, 1)], imbalance);
        Assert.Equal(200.0 / 3, imbalance[0].Percentage, 6);
        Assert.Equal(50, imbalance[1].Percentage, 6);
        Assert.Equal(0, new BrokerImbalance(2, 0, 0).Ratio);
    }

    [Fact]
    public void The_rebalancer_elects_preferred_replicas_of_brokers_above_the_threshold_where_they_can_lead()
    {
        var image = Image(
        [
            // Broker 0: 2 of 4 led elsewhere (50 %); partition 3's preferred replica is out of sync.
            new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2]),
            new PartitionMetadata(1, 0, 0, [0, 1, 2], [0, 1, 2]),
            new PartitionMetadata(2, 1, 1, [0, 1, 2], [0, 1, 2], PartitionEpoch: 5),
            new PartitionMetadata(3, 2, 1, [0, 1, 2], [1, 2]),
            // Broker 1: 1 of 10 led elsewhere (10 %, not above 10).
            .. Enumerable.Range(4, 9).Select(i => new PartitionMetadata(i, 1, 0, [1, 2, 0], [0, 1, 2])),
            new PartitionMetadata(13, 2, 1, [1, 2, 0], [0, 1, 2]),
        ]);

        var changes = LeaderRebalancer.Choose(image, percentage: 10);

        Assert.Equal([new PartitionChangeRecord(Id, 2, 5, 0, null)], changes);
        Assert.Equal(2, LeaderRebalancer.Choose(image, percentage: 9).Count);
        Assert.Empty(LeaderRebalancer.Choose(image, percentage: 50));
    }

    [Fact]
    public void Partitions_being_reassigned_are_left_to_the_move()
    {
        // Replica 0 is in sync and preferred, but the partition is moving 2 -> 0 (target first, removing 2).
        var image = Image([new PartitionMetadata(0, 1, 1, [0, 1, 2], [0, 1, 2], AddingReplicas: [0], RemovingReplicas: [2])]);

        Assert.Empty(LeaderRebalancer.Choose(image, percentage: 0));
    }

    [Fact]
    public void Fenced_preferred_replicas_are_left_alone()
    {
        var image = Image([new PartitionMetadata(0, 1, 1, [0, 1, 2], [0, 1, 2])], fenced: 0);

        Assert.Empty(LeaderRebalancer.Choose(image, percentage: 0));
    }

    [Fact]
    public void Checks_come_one_interval_after_taking_over_then_every_interval_and_a_new_term_starts_over()
    {
        var rebalancer = new LeaderRebalancer();

        Assert.False(rebalancer.Due(epoch: 3, leaderForMs: 0, intervalMs: 1000));
        Assert.False(rebalancer.Due(3, 999, 1000));
        Assert.True(rebalancer.Due(3, 1000, 1000));
        Assert.False(rebalancer.Due(3, 1500, 1000));
        Assert.True(rebalancer.Due(3, 2100, 1000));

        // A check whose elections did not commit is retried at once.
        rebalancer.RetrySoon();
        Assert.True(rebalancer.Due(3, 2200, 1000));
        Assert.False(rebalancer.Due(3, 2300, 1000));

        // Another term: its clock starts at 0 again.
        Assert.False(rebalancer.Due(5, 500, 1000));
        Assert.True(rebalancer.Due(5, 1000, 1000));

        // A shorter interval (a dynamic config change) applies from the last check.
        Assert.True(rebalancer.Due(5, 1200, 200));
    }
}
