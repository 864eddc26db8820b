using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class PartitionElectionTests
{
    private static readonly Guid Id = Guid.NewGuid();

    private static Func<int, bool> Live(params int[] ids) => id => Array.IndexOf(ids, id) >= 0;

    [Fact]
    public void A_dead_leader_is_replaced_by_the_first_live_in_sync_replica_in_assignment_order()
    {
        var p = new PartitionMetadata(0, 1, 4, [1, 2, 0], [0, 1, 2], PartitionEpoch: 7);

        var change = PartitionElection.Decide(Id, p, Live(0, 2), uncleanAllowed: false);

        Assert.NotNull(change);
        Assert.Equal(2, change.Leader);
        Assert.Equal([0, 2], change.Isr!);
        Assert.Equal(7, change.PartitionEpoch);
        Assert.False(change.Unclean);
    }

    [Fact]
    public void A_dead_follower_only_leaves_the_isr()
    {
        var p = new PartitionMetadata(0, 0, 3, [0, 1, 2], [0, 1, 2]);

        var change = PartitionElection.Decide(Id, p, Live(0, 1), uncleanAllowed: false);

        Assert.NotNull(change);
        Assert.Null(change.Leader);
        Assert.Equal([0, 1], change.Isr!);
    }

    [Fact]
    public void The_last_in_sync_replica_stays_in_the_isr_without_leading_and_leads_again_when_back()
    {
        var p = new PartitionMetadata(0, 2, 5, [0, 1, 2], [2]);

        var down = PartitionElection.Decide(Id, p, Live(0, 1), uncleanAllowed: false);
        Assert.NotNull(down);
        Assert.Equal(-1, down.Leader);
        Assert.Null(down.Isr);

        var leaderless = p with { Leader = -1, LeaderEpoch = 6, PartitionEpoch = 1 };
        Assert.Null(PartitionElection.Decide(Id, leaderless, Live(0, 1), uncleanAllowed: false));
        var back = PartitionElection.Decide(Id, leaderless, Live(0, 1, 2), uncleanAllowed: false);
        Assert.NotNull(back);
        Assert.Equal(2, back.Leader);
    }

    [Fact]
    public void Unclean_election_picks_a_live_out_of_sync_replica_only_when_allowed()
    {
        var p = new PartitionMetadata(0, -1, 5, [0, 1, 2], [2]);

        Assert.Null(PartitionElection.Decide(Id, p, Live(0, 1), uncleanAllowed: false));
        var change = PartitionElection.Decide(Id, p, Live(1, 0), uncleanAllowed: true);

        Assert.NotNull(change);
        Assert.Equal(0, change.Leader);
        Assert.Equal([0], change.Isr!);
        Assert.True(change.Unclean);
    }

    [Fact]
    public void A_healthy_partition_needs_no_change()
    {
        var p = new PartitionMetadata(0, 0, 3, [0, 1, 2], [0, 1]);
        Assert.Null(PartitionElection.Decide(Id, p, Live(0, 1, 2), uncleanAllowed: false));
    }

    [Fact]
    public void Applying_a_change_bumps_the_leader_epoch_only_for_a_new_leader_and_the_partition_epoch_always()
    {
        var image = ImageWith(new PartitionMetadata(0, 0, 3, [0, 1, 2], [0, 1, 2], PartitionEpoch: 5));
        var machine = new MetadataStateMachine(image);

        Assert.Equal(ErrorCode.None, machine.Apply(new PartitionChangeRecord(Id, 0, 5, null, [0, 1]), 1).Error);
        Assert.Equal(ErrorCode.None, machine.Apply(new PartitionChangeRecord(Id, 0, 6, 1, null), 2).Error);

        var p = machine.ToImage(-1).Topic(Id)!.Partitions[0];
        Assert.Equal((1, 4, 7), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal([0, 1], p.Isr);
    }

    [Theory]
    [InlineData(4, null, new[] { 0, 1 }, ErrorCode.InvalidUpdateVersion)] // decided on an older partition epoch
    [InlineData(5, 3, null, ErrorCode.InvalidRequest)] // not a replica
    [InlineData(5, 2, new[] { 0, 1 }, ErrorCode.InvalidRequest)] // leader outside the ISR
    [InlineData(5, null, new[] { 0, 3 }, ErrorCode.InvalidRequest)] // ISR member not a replica
    [InlineData(5, null, new int[0], ErrorCode.InvalidRequest)] // empty ISR
    public void A_change_that_does_not_fit_the_partition_changes_nothing(int partitionEpoch, int? leader, int[]? isr, ErrorCode expected)
    {
        var original = new PartitionMetadata(0, 0, 3, [0, 1, 2], [0, 1, 2], PartitionEpoch: 5);
        var machine = new MetadataStateMachine(ImageWith(original));

        Assert.Equal(expected, machine.Apply(new PartitionChangeRecord(Id, 0, partitionEpoch, leader, isr), 1).Error);
        Assert.Equal(original, machine.ToImage(-1).Topic(Id)!.Partitions[0]);
    }

    private static MetadataImage ImageWith(PartitionMetadata partition)
    {
        var topic = new TopicMetadata("t", Id, [partition], new Dictionary<string, string>());
        return new MetadataImage(
            new Dictionary<string, TopicMetadata>(StringComparer.Ordinal) { ["t"] = topic },
            new Dictionary<Guid, TopicMetadata> { [Id] = topic },
            new Dictionary<string, string>(StringComparer.Ordinal),
            0);
    }
}
