using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>
/// The reassignment state machine (KIP-455) through the records it writes, applied by the real
/// <see cref="MetadataStateMachine"/>: start, catch-up (ISR changes as AlterPartition would commit them), completion
/// with a leader move, cancellation, a new target over an ongoing one, replication factor changes and bad input.
/// </summary>
public sealed class ReassignmentRulesTests
{
    private static readonly Guid Id = Guid.NewGuid();

    private static MetadataImage Image(PartitionMetadata p, params int[] brokers)
    {
        var ids = brokers.Length == 0 ? [0, 1, 2, 3, 4] : brokers;
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        foreach (var b in ids)
            Assert.Equal(ErrorCode.None, machine.Apply(new RegisterBrokerRecord(b, [new EndpointRecord("PLAINTEXT", "127.0.0.1", 9092 + b)], null), b).Error);
        Assert.Equal(ErrorCode.None, machine.Apply(new CreateTopicRecord("t", Id, [p.Replicas], []), 100).Error);
        var image = machine.ToImage(0);
        var created = image.Topic(Id)!.Partitions[0];
        if (created.Isr.AsSpan().SequenceEqual(p.Isr) && created.Leader == p.Leader)
            return image;
        Assert.Equal(ErrorCode.None, machine.Apply(new PartitionChangeRecord(Id, 0, created.PartitionEpoch, p.Leader == created.Leader ? null : p.Leader, p.Isr), 101).Error);
        return machine.ToImage(0);
    }

    private static PartitionMetadata Partition(MetadataImage image) => image.Topic(Id)!.Partitions[0];

    private static bool Registered(MetadataImage image, int id) => image.Brokers.ContainsKey(id);

    private static ReassignmentDecision Decide(MetadataImage image, int[]? target, bool allowRf = true, bool unclean = false, Func<int, bool>? live = null) =>
        ReassignmentRules.Decide(image.Topic(Id)!, 0, target, allowRf, unclean, id => Registered(image, id), live ?? (id => Registered(image, id)));

    private static MetadataImage Apply(MetadataImage image, PartitionChangeRecord? change)
    {
        Assert.NotNull(change);
        var machine = new MetadataStateMachine(image);
        var result = machine.Apply(change, 1000);
        Assert.True(result.Error == ErrorCode.None, result.Message);
        return machine.ToImage(0);
    }

    /// <summary>What the leader's AlterPartition would commit: <paramref name="isr"/> as the new ISR.</summary>
    private static MetadataImage SetIsr(MetadataImage image, params int[] isr)
    {
        var p = Partition(image);
        return Apply(image, new PartitionChangeRecord(Id, 0, p.PartitionEpoch, null, isr));
    }

    private static PartitionChangeRecord? Completion(MetadataImage image) =>
        ReassignmentRules.CompleteAll(image).SingleOrDefault();

    [Fact]
    public void A_move_adds_the_target_first_then_completes_once_every_target_replica_is_in_sync_and_moves_the_leader_off_a_removed_one()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2]));

        var start = Decide(image, [3, 4, 1]);
        Assert.Equal(ErrorCode.None, start.Error);
        image = Apply(image, start.Change);
        var p = Partition(image);
        Assert.Equal([3, 4, 1, 0, 2], p.Replicas);
        Assert.Equal([3, 4], p.AddingReplicas!);
        Assert.Equal([0, 2], p.RemovingReplicas!);
        Assert.Equal([0, 1, 2], p.Isr);
        Assert.Equal(0, p.Leader);
        Assert.Equal(0, p.LeaderEpoch);
        Assert.Null(Completion(image));

        image = SetIsr(image, 0, 1, 2, 3);
        Assert.Null(Completion(image)); // broker 4 has not caught up yet

        image = SetIsr(image, 0, 1, 2, 3, 4);
        image = Apply(image, Completion(image));
        p = Partition(image);
        Assert.Equal([3, 4, 1], p.Replicas);
        Assert.Equal([1, 3, 4], p.Isr);
        Assert.False(p.IsReassigning);
        Assert.Equal(3, p.Leader); // the first target replica in sync
        Assert.Equal(1, p.LeaderEpoch);
        Assert.Null(Completion(image));
    }

    [Fact]
    public void The_leader_stays_when_it_is_kept()
    {
        var image = Image(new PartitionMetadata(0, 1, 0, [1, 2, 0], [1, 2, 0]));

        image = Apply(image, Decide(image, [1, 3, 4]).Change);
        image = SetIsr(image, 1, 2, 0, 3, 4);
        image = Apply(image, Completion(image));

        var p = Partition(image);
        Assert.Equal(1, p.Leader);
        Assert.Equal(0, p.LeaderEpoch);
        Assert.Equal([1, 3, 4], p.Replicas);
    }

    [Fact]
    public void Lowering_the_replication_factor_completes_at_once_and_raising_it_waits_for_the_new_replicas()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0], [0]));

        image = Apply(image, Decide(image, [0, 1, 2]).Change);
        Assert.Equal([1, 2], Partition(image).AddingReplicas!);
        image = SetIsr(image, 0, 1, 2);
        image = Apply(image, Completion(image));
        Assert.Equal([0, 1, 2], Partition(image).Replicas);
        Assert.False(Partition(image).IsReassigning);

        var lower = Decide(image, [2, 0]);
        image = Apply(image, lower.Change);
        var p = Partition(image);
        Assert.Equal([2, 0], p.Replicas);
        Assert.Equal([0, 2], p.Isr);
        Assert.False(p.IsReassigning);
        Assert.Equal(0, p.Leader);
    }

    [Fact]
    public void A_target_that_is_the_current_assignment_changes_nothing_and_a_new_order_only_the_order()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2]));

        var same = Decide(image, [0, 1, 2]);
        Assert.Equal(ErrorCode.None, same.Error);
        Assert.Null(same.Change);

        image = Apply(image, Decide(image, [2, 1, 0]).Change);
        Assert.Equal([2, 1, 0], Partition(image).Replicas);
        Assert.Equal(0, Partition(image).Leader);
        Assert.False(Partition(image).IsReassigning);
    }

    [Fact]
    public void Cancelling_reverts_to_the_original_replicas_and_moves_leadership_off_an_added_replica()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1], [0, 1]));
        image = Apply(image, Decide(image, [2, 3]).Change);
        image = SetIsr(image, 0, 1, 2);
        // The leader died and an added, in-sync replica took over (PartitionElection would elect 2).
        image = Apply(image, new PartitionChangeRecord(Id, 0, Partition(image).PartitionEpoch, 2, [1, 2]));

        var cancel = Decide(image, null);
        Assert.Equal(ErrorCode.None, cancel.Error);
        image = Apply(image, cancel.Change);

        var p = Partition(image);
        Assert.Equal([0, 1], p.Replicas);
        Assert.Equal([1], p.Isr);
        Assert.Equal(1, p.Leader);
        Assert.False(p.IsReassigning);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, Decide(image, null).Error);
    }

    [Fact]
    public void A_revert_that_would_leave_only_added_replicas_in_sync_needs_unclean_election()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0], [0]));
        image = Apply(image, Decide(image, [1]).Change);
        // Only the added replica is in sync (the original one fell out); a cancel before the controller completes
        // the move would have to make the original, out-of-sync replica the ISR.
        image = Apply(image, new PartitionChangeRecord(Id, 0, Partition(image).PartitionEpoch, 1, [1]));

        var refused = Decide(image, null);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, refused.Error);
        Assert.Contains("unclean leader election", refused.Message, StringComparison.Ordinal);

        var unclean = Decide(image, null, unclean: true);
        Assert.Equal(ErrorCode.None, unclean.Error);
        Assert.True(unclean.Change!.Unclean);
        image = Apply(image, unclean.Change);
        Assert.Equal([0], Partition(image).Replicas);
        Assert.Equal([0], Partition(image).Isr);
        Assert.Equal(0, Partition(image).Leader);
    }

    [Fact]
    public void A_new_target_over_an_ongoing_reassignment_starts_from_the_original_replicas_and_keeps_caught_up_ones_in_sync()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1], [0, 1]));
        image = Apply(image, Decide(image, [2, 3]).Change);
        image = SetIsr(image, 0, 1, 2);

        image = Apply(image, Decide(image, [2, 4]).Change);

        var p = Partition(image);
        Assert.Equal([2, 4, 0, 1], p.Replicas);
        Assert.Equal([2, 4], p.AddingReplicas!);
        Assert.Equal([0, 1], p.RemovingReplicas!);
        Assert.Equal([0, 1, 2], p.Isr);
        image = SetIsr(image, 0, 1, 2, 4);
        image = Apply(image, Completion(image));
        Assert.Equal([2, 4], Partition(image).Replicas);
        Assert.Equal(2, Partition(image).Leader);
    }

    [Fact]
    public void Bad_targets_get_kafkas_error_codes()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1, 2], [0, 1, 2]));

        Assert.Equal(ErrorCode.InvalidReplicaAssignment, Decide(image, []).Error);
        var duplicate = Decide(image, [0, 1, 1]);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, duplicate.Error);
        Assert.Contains("more than once", duplicate.Message, StringComparison.Ordinal);
        var unknown = Decide(image, [0, 1, 9]);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, unknown.Error);
        Assert.Contains("broker 9", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, Decide(image, null).Error);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, Decide(image, [0, 1], allowRf: false).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition,
            ReassignmentRules.Decide(image.Topic(Id)!, 5, [0], true, false, _ => true, _ => true).Error);
        // Fewer replicas than min.insync.replicas is allowed, as in Kafka (the controller does not look at it).
        Assert.Equal(ErrorCode.None, Decide(image, [0]).Error);
    }

    [Fact]
    public void A_decision_on_an_older_partition_epoch_is_refused_by_the_state_machine()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1], [0, 1]));
        var stale = Decide(image, [2, 3]).Change!;
        image = SetIsr(image, 0);

        var result = new MetadataStateMachine(image).Apply(stale, 1000);

        Assert.Equal(ErrorCode.InvalidUpdateVersion, result.Error);
    }

    [Fact]
    public void The_state_machine_refuses_inconsistent_replica_sets()
    {
        var image = Image(new PartitionMetadata(0, 0, 0, [0, 1], [0, 1]));
        var epoch = Partition(image).PartitionEpoch;

        var duplicate = new PartitionChangeRecord(Id, 0, epoch, null, null, Replicas: [0, 1, 1], AddingReplicas: [], RemovingReplicas: []);
        var addingOutside = new PartitionChangeRecord(Id, 0, epoch, null, null, Replicas: [0, 1], AddingReplicas: [3], RemovingReplicas: []);
        var isrOutside = new PartitionChangeRecord(Id, 0, epoch, null, null, Replicas: [0], AddingReplicas: [], RemovingReplicas: []);

        Assert.Equal(ErrorCode.InvalidReplicaAssignment, new MetadataStateMachine(image).Apply(duplicate, 1).Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, new MetadataStateMachine(image).Apply(addingOutside, 1).Error);
        Assert.Equal(ErrorCode.InvalidRequest, new MetadataStateMachine(image).Apply(isrOutside, 1).Error);
    }

    [Fact]
    public void The_reassignment_state_survives_the_metadata_record_codec()
    {
        var record = new PartitionChangeRecord(Id, 3, 7, 2, [1, 2], false, [2, 4, 1], [4], [1]);

        var decoded = (PartitionChangeRecord)MetadataRecordCodec.Decode(MetadataRecordCodec.Encode(record));

        Assert.Equal([2, 4, 1], decoded.Replicas!);
        Assert.Equal([4], decoded.AddingReplicas!);
        Assert.Equal([1], decoded.RemovingReplicas!);
        var old = (PartitionChangeRecord)MetadataRecordCodec.Decode("""{"type":"partitionChange","topicId":"00000000-0000-0000-0000-000000000001","partition":0,"partitionEpoch":1,"leader":null,"isr":[1]}"""u8);
        Assert.Null(old.Replicas);
    }
}
