using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>What a committed batch's <see cref="MetadataDelta"/> holds, and that the new image shares what it did not change.</summary>
public sealed class MetadataDeltaTests
{
    private static readonly Guid A = new(1, 0, 0, new byte[8]);
    private static readonly Guid B = new(2, 0, 0, new byte[8]);

    /// <summary>Brokers 0-2 registered and unfenced, topics "a" (3 partitions) and "b" (2), RF 2.</summary>
    private static MetadataImage Start()
    {
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        for (var b = 0; b < 3; b++)
        {
            Ok(machine.Apply(new RegisterBrokerRecord(b, [new EndpointRecord("PLAINTEXT", "h", 9092 + b)], null), b));
            Ok(machine.Apply(new UnfenceBrokerRecord(b, b), b));
        }
        Ok(machine.Apply(new CreateTopicRecord("a", A, [[0, 1], [1, 2], [2, 0]], []), 10));
        Ok(machine.Apply(new CreateTopicRecord("b", B, [[0, 1], [1, 2]], []), 11));
        return machine.ToImage(0);
    }

    private static void Ok(ApplyResult result) => Assert.Equal(ErrorCode.None, result.Error);

    private static PartitionChangeRecord ShrinkIsr(MetadataImage image, Guid topic, int partition)
    {
        var p = image.Topic(topic)!.Partitions[partition];
        return new PartitionChangeRecord(topic, partition, p.PartitionEpoch, null, [p.Leader]);
    }

    [Fact]
    public void A_partition_change_holds_that_partition_only_and_the_image_shares_everything_else()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        Ok(machine.Apply(ShrinkIsr(before, A, 1), 20));
        var after = machine.ToImage(0);
        var delta = machine.Delta;

        Assert.Same(before, delta.Base);
        Assert.True(delta.AppliesTo(before));
        var topic = Assert.Single(delta.Topics).Value;
        Assert.Equal([1], topic.ChangedPartitions);
        Assert.False(topic.Created || topic.Deleted || topic.ConfigsChanged);
        Assert.Empty(delta.Brokers);
        Assert.False(delta.BrokerConfigsChanged || delta.ProducerIdsChanged || delta.ControllerChanged);
        Assert.Same(before.Topic(B), after.Topic(B));
        Assert.Same(before.Topic(A)!.Partitions[0], after.Topic(A)!.Partitions[0]);
        Assert.NotSame(before.Topic(A)!.Partitions[1], after.Topic(A)!.Partitions[1]);
        Assert.Same(after.Topic("a"), after.Topic(A));
        Assert.Equal(2, before.Topic(A)!.Partitions[1].Isr.Length); // the published image did not change underneath
    }

    [Fact]
    public void A_created_topic_holds_all_its_partitions_and_a_deleted_one_none()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        var c = Guid.NewGuid();
        Ok(machine.Apply(new CreateTopicRecord("c", c, [[0], [1], [2], [0]], []), 20));
        Ok(machine.Apply(new DeleteTopicRecord(B), 21));
        var after = machine.ToImage(0);

        var created = machine.Delta.Topics[c];
        Assert.True(created.Created);
        Assert.Equal([0, 1, 2, 3], created.ChangedPartitions.Order());
        var deleted = machine.Delta.Topics[B];
        Assert.True(deleted.Deleted);
        Assert.Equal("b", deleted.Name);
        Assert.Empty(deleted.ChangedPartitions);
        Assert.False(machine.Delta.Topics.ContainsKey(A));
        Assert.Null(after.Topic("b"));
        Assert.NotNull(before.Topic("b"));
    }

    [Fact]
    public void A_topic_created_and_deleted_in_one_delta_is_not_in_it_and_a_reused_name_is_two_entries()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        var temp = Guid.NewGuid();
        Ok(machine.Apply(new CreateTopicRecord("temp", temp, [[0]], []), 20));
        Ok(machine.Apply(new DeleteTopicRecord(temp), 21));
        var again = Guid.NewGuid();
        Ok(machine.Apply(new DeleteTopicRecord(A), 22));
        Ok(machine.Apply(new CreateTopicRecord("a", again, [[1]], []), 23));

        Assert.False(machine.Delta.Topics.ContainsKey(temp));
        Assert.True(machine.Delta.Topics[A].Deleted);
        Assert.True(machine.Delta.Topics[again].Created);
        Assert.Equal(again, machine.ToImage(0).Topic("a")!.TopicId);
    }

    [Fact]
    public void Added_partitions_and_config_changes_are_recorded_per_topic()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        Ok(machine.Apply(new AddPartitionsRecord(B, [[2, 0], [0, 1]]), 20));
        Ok(machine.Apply(new TopicConfigsRecord(A, new() { ["retention.ms"] = "1000" }), 21));
        Ok(machine.Apply(new BrokerConfigsRecord(new() { ["default:log.retention.ms"] = "5000" }), 22));
        Ok(machine.Apply(new ProducerIdsRecord(0, 100), 23));
        var after = machine.ToImage(0);

        var added = machine.Delta.Topics[B];
        Assert.False(added.Created);
        Assert.Equal([2, 3], added.ChangedPartitions.Order());
        Assert.Equal(4, after.Topic("b")!.Partitions.Length);
        var configured = machine.Delta.Topics[A];
        Assert.True(configured.ConfigsChanged);
        Assert.Empty(configured.ChangedPartitions);
        Assert.Equal("1000", after.Topic("a")!.Configs["retention.ms"]);
        Assert.True(machine.Delta.BrokerConfigsChanged);
        Assert.True(machine.Delta.ProducerIdsChanged);
    }

    [Fact]
    public void A_fence_holds_the_broker_and_the_partitions_it_moved()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        Ok(machine.Apply(new BatchRecord([new FenceBrokerRecord(2, 2), ShrinkIsr(before, A, 1)]), 20));
        Ok(machine.Apply(new RegisterBrokerRecord(3, [], null), 21));

        Assert.Equal([2, 3], machine.Delta.Brokers.Order());
        Assert.Equal([1], machine.Delta.Topics[A].ChangedPartitions);
        Assert.True(machine.ToImage(0).Brokers[2].Fenced);
        Assert.False(before.Brokers[2].Fenced);
    }

    [Fact]
    public void A_failed_batch_leaves_neither_its_changes_nor_its_delta_but_keeps_what_came_before()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        Ok(machine.Apply(ShrinkIsr(before, B, 0), 20));
        var failed = machine.Apply(new BatchRecord([
            ShrinkIsr(before, A, 0),
            new CreateTopicRecord("new", Guid.NewGuid(), [[0]], []),
            new FenceBrokerRecord(1, 99), // not broker 1's epoch: the whole batch is refused
        ]), 21);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, failed.Error);
        var after = machine.ToImage(0);

        var only = Assert.Single(machine.Delta.Topics);
        Assert.Equal(B, only.Key);
        Assert.Equal([0], only.Value.ChangedPartitions);
        Assert.Empty(machine.Delta.Brokers);
        Assert.Same(before.Topic(A), after.Topic(A));
        Assert.Null(after.Topic("new"));
        Assert.Single(after.Topic(B)!.Partitions[0].Isr);
    }

    [Fact]
    public void A_partition_changed_by_a_failed_batch_keeps_its_published_state()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        // The first record of the batch changes A-0 in place in the machine's copy; the failure must undo it.
        var failed = machine.Apply(new BatchRecord([ShrinkIsr(before, A, 0), ShrinkIsr(before, A, 0)]), 20);
        Assert.Equal(ErrorCode.InvalidUpdateVersion, failed.Error);
        var after = machine.ToImage(0);

        Assert.Empty(machine.Delta.Topics);
        Assert.Equal(2, after.Topic(A)!.Partitions[0].Isr.Length);
        Assert.Equal(2, before.Topic(A)!.Partitions[0].Isr.Length);
    }

    [Fact]
    public void A_new_controller_is_the_only_change_of_a_leader_change()
    {
        var before = Start();
        var machine = new MetadataStateMachine(before);
        var after = machine.ToImage(2);

        Assert.True(machine.Delta.ControllerChanged);
        Assert.Empty(machine.Delta.Topics);
        Assert.Equal(2, after.ControllerId);
        Assert.Same(before.TopicsById, after.TopicsById);
    }

    [Fact]
    public void A_full_delta_applies_to_no_image()
    {
        var full = MetadataDelta.Full();
        Assert.True(full.IsFull);
        Assert.False(full.AppliesTo(null));
        Assert.False(full.AppliesTo(Start()));
    }
}
