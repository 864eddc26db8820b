using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class AlterPartitionValidatorTests
{
    private static readonly Guid Id = Guid.NewGuid();

    // Partition 0 of "t": led by 0 at leader epoch 3, partition epoch 5, replicas 0-2, all in sync.
    private static readonly PartitionMetadata P0 = new(0, 0, 3, [0, 1, 2], [0, 1, 2], PartitionEpoch: 5);

    // Partition 1: led by 1, so broker 0 is only a follower there.
    private static readonly PartitionMetadata P1 = new(1, 1, 7, [1, 2, 0], [1, 2], PartitionEpoch: 9);

    private static readonly BrokerInfo[] Live =
    [
        new(0, 10, [], null, Fenced: false),
        new(1, 20, [], null, Fenced: false),
        new(2, 30, [], null, Fenced: false),
    ];

    [Fact]
    public void A_leader_shrinks_its_isr_and_gets_the_state_its_record_produces()
    {
        var image = Image();

        var decision = Single(AlterPartitionValidator.Validate(image, Request(2, Part(0, 3, 5, [0, 1])), 2));

        Assert.Equal(ErrorCode.None, decision.Error);
        var change = decision.Change!;
        Assert.Equal((Id, 0, 5, (int?)null, false), (change.TopicId, change.Partition, change.PartitionEpoch, change.Leader, change.Unclean));
        Assert.Equal([0, 1], change.Isr!);
        var result = decision.Result!;
        Assert.Equal((0, 3, 6), (result.Leader, result.LeaderEpoch, result.PartitionEpoch));
        Assert.Equal([0, 1], result.Isr);

        // The reported state is exactly what applying the record makes of the partition.
        var machine = new MetadataStateMachine(image);
        Assert.Equal(ErrorCode.None, machine.Apply(change, 100).Error);
        var applied = machine.ToImage(-1).Topic(Id)!.Partitions[0];
        Assert.Equal((applied.Leader, applied.LeaderEpoch, applied.PartitionEpoch), (result.Leader, result.LeaderEpoch, result.PartitionEpoch));
        Assert.Equal(applied.Isr, result.Isr);
    }

    [Fact]
    public void A_v3_expansion_with_the_current_broker_epochs_is_accepted()
    {
        var image = Image(p0: P0 with { Isr = [0] });

        var decision = Single(AlterPartitionValidator.Validate(image, Request(3, Part(0, 3, 5, [0, 2], epochs: [10, 30])), 3));

        Assert.Equal(ErrorCode.None, decision.Error);
        Assert.Equal([0, 2], decision.Change!.Isr!);
        Assert.Equal(5, decision.Change.PartitionEpoch);
        Assert.Equal([0, 2], decision.Result!.Isr);
    }

    [Fact]
    public void A_v3_broker_epoch_of_minus_one_skips_the_epoch_check()
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(3, Part(0, 3, 5, [0, 1], epochs: [-1, -1])), 3));
        Assert.Equal(ErrorCode.None, decision.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Versions_0_and_1_name_the_topic(short version)
    {
        var request = Request(version, Part(0, 3, 5, [0, 2]));
        request.Topics[0].TopicId = Guid.Empty; // not sent before v2

        var plan = AlterPartitionValidator.Validate(Image(), request, version);

        Assert.Equal("t", plan.Topics[0].TopicName);
        var decision = Assert.Single(plan.Topics[0].Partitions);
        Assert.Equal(ErrorCode.None, decision.Error);
        Assert.Equal([0, 2], decision.Change!.Isr!);
    }

    [Fact]
    public void The_same_isr_needs_no_record_and_answers_the_current_state()
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(0, 3, 5, [0, 1, 2])), 2));

        Assert.Equal(ErrorCode.None, decision.Error);
        Assert.Null(decision.Change);
        Assert.Equal(P0, decision.Result);
    }

    [Fact]
    public void The_same_members_in_another_order_are_a_change_as_in_kafka()
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(0, 3, 5, [0, 2, 1])), 2));
        Assert.Equal([0, 2, 1], decision.Change!.Isr!);
    }

    [Theory]
    [InlineData(0, 11L)] // restarted since: a newer registration
    [InlineData(0, -1L)]
    [InlineData(5, 10L)] // never registered
    public void A_requester_not_at_its_registered_epoch_is_refused_as_a_whole(int brokerId, long epoch)
    {
        var request = Request(2, Part(0, 3, 5, [0, 1]));
        request.BrokerId = brokerId;
        request.BrokerEpoch = epoch;

        var plan = AlterPartitionValidator.Validate(Image(), request, 2);

        Assert.Equal(ErrorCode.StaleBrokerEpoch, plan.Error);
        Assert.Empty(plan.Topics);
    }

    [Theory]
    [InlineData(0, ErrorCode.UnknownTopicOrPartition)]
    [InlineData(1, ErrorCode.UnknownTopicOrPartition)]
    [InlineData(2, ErrorCode.UnknownTopicId)]
    [InlineData(3, ErrorCode.UnknownTopicId)]
    public void An_unknown_topic_fails_each_of_its_partitions(short version, ErrorCode expected)
    {
        var request = Request(version, Part(0, 3, 5, [0, 1]), Part(1, 7, 9, [1]));
        request.Topics[0].TopicName = "nope";
        request.Topics[0].TopicId = Guid.NewGuid();

        var plan = AlterPartitionValidator.Validate(Image(), request, version);

        Assert.Equal(ErrorCode.None, plan.Error);
        Assert.Equal([(0, expected), (1, expected)], plan.Topics[0].Partitions.Select(d => (d.PartitionIndex, d.Error)));
        Assert.All(plan.Topics[0].Partitions, d => Assert.Null(d.Change));
    }

    [Fact]
    public void The_zero_topic_id_is_unknown()
    {
        var request = Request(2, Part(0, 3, 5, [0, 1]));
        request.Topics[0].TopicId = Guid.Empty;
        Assert.Equal(ErrorCode.UnknownTopicId, Single(AlterPartitionValidator.Validate(Image(), request, 2)).Error);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public void An_unknown_partition_is_unknown_topic_or_partition(int index)
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(index, 3, 5, [0, 1])), 2));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, decision.Error);
        Assert.Equal(index, decision.PartitionIndex);
    }

    [Theory]
    [InlineData(4, 5)] // leader epoch ahead of this image
    [InlineData(3, 6)] // partition epoch ahead
    public void Epochs_ahead_of_the_image_mean_this_node_is_not_the_controller_any_more(int leaderEpoch, int partitionEpoch)
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(0, leaderEpoch, partitionEpoch, [0, 1])), 2));
        Assert.Equal(ErrorCode.NotController, decision.Error);
    }

    [Fact]
    public void An_older_leader_epoch_is_fenced_before_the_leader_is_checked()
    {
        // Broker 0 does not lead partition 1 either: the epoch check comes first, as in Kafka.
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(1, 6, 9, [1, 2])), 2));
        Assert.Equal(ErrorCode.FencedLeaderEpoch, decision.Error);
    }

    [Fact]
    public void A_requester_that_does_not_lead_the_partition_is_an_invalid_request()
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(1, 7, 9, [1, 2, 0])), 2));
        Assert.Equal(ErrorCode.InvalidRequest, decision.Error);
    }

    [Fact]
    public void An_older_partition_epoch_is_an_invalid_update_version_before_the_isr_is_looked_at()
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(0, 3, 4, [0, 7])), 2));
        Assert.Equal(ErrorCode.InvalidUpdateVersion, decision.Error);
        Assert.Null(decision.Change);
    }

    [Theory]
    [InlineData(new[] { 0, 3 })] // not a replica
    [InlineData(new[] { 0, 1, 1 })] // a duplicate
    [InlineData(new int[0])] // empty
    [InlineData(new[] { 1, 2 })] // without the leader
    [InlineData(new[] { 0, -1 })] // negative
    public void An_isr_that_is_not_a_set_of_replicas_with_the_leader_is_an_invalid_request(int[] isr)
    {
        var decision = Single(AlterPartitionValidator.Validate(Image(), Request(2, Part(0, 3, 5, isr)), 2));
        Assert.Equal(ErrorCode.InvalidRequest, decision.Error);
    }

    [Theory]
    [InlineData(new[] { 0 }, 1)]
    [InlineData(new[] { 0, 1 }, 1)]
    [InlineData(new[] { 0, 1 }, 2)]
    public void A_leader_recovery_state_other_than_recovered_is_an_invalid_request(int[] isr, sbyte recoveryState)
    {
        var part = Part(0, 3, 5, isr);
        part.LeaderRecoveryState = recoveryState;
        Assert.Equal(ErrorCode.InvalidRequest, Single(AlterPartitionValidator.Validate(Image(), Request(2, part), 2)).Error);
    }

    public static TheoryData<string, short, ErrorCode> IneligibleCases() => new()
    {
        { "fenced", 2, ErrorCode.IneligibleReplica },
        { "shutting down", 2, ErrorCode.IneligibleReplica },
        { "unregistered", 2, ErrorCode.IneligibleReplica },
        { "fenced", 3, ErrorCode.IneligibleReplica },
        { "unregistered", 3, ErrorCode.IneligibleReplica },
        { "fenced", 1, ErrorCode.OperationNotAttempted },
        { "shutting down", 0, ErrorCode.OperationNotAttempted },
    };

    [Theory]
    [MemberData(nameof(IneligibleCases))]
    public void A_replica_that_is_not_alive_cannot_join_the_isr(string state, short version, ErrorCode expected)
    {
        var brokers = state switch
        {
            "fenced" => Live.Select(b => b.Id == 2 ? b with { Fenced = true } : b),
            "shutting down" => Live.Select(b => b.Id == 2 ? b with { Fenced = true, ShuttingDown = true } : b),
            _ => Live.Where(b => b.Id != 2),
        };
        var image = Image(p0: P0 with { Isr = [0, 1] }, brokers: [.. brokers]);
        var request = Request(version, Part(0, 3, 5, [0, 2], epochs: version >= 3 ? [10, 30] : null));

        var decision = Single(AlterPartitionValidator.Validate(image, request, version));

        Assert.Equal(expected, decision.Error);
        Assert.Null(decision.Change);
    }

    [Fact]
    public void A_v3_replica_at_another_broker_epoch_is_ineligible()
    {
        // Broker 2 registered again (epoch 31) after the fetch the leader judged it by.
        var image = Image(p0: P0 with { Isr = [0, 1] }, brokers: [Live[0], Live[1], Live[2] with { Epoch = 31 }]);
        var decision = Single(AlterPartitionValidator.Validate(image, Request(3, Part(0, 3, 5, [0, 1, 2], epochs: [10, 20, 30])), 3));
        Assert.Equal(ErrorCode.IneligibleReplica, decision.Error);
    }

    [Fact]
    public void A_fenced_broker_that_stays_out_of_the_isr_does_not_matter()
    {
        var image = Image(brokers: [Live[0], Live[1], Live[2] with { Fenced = true }]);
        var decision = Single(AlterPartitionValidator.Validate(image, Request(2, Part(0, 3, 5, [0, 1])), 2));
        Assert.Equal(ErrorCode.None, decision.Error);
    }

    [Fact]
    public void Each_partition_is_decided_on_its_own()
    {
        var plan = AlterPartitionValidator.Validate(Image(), Request(2, Part(0, 3, 5, [0]), Part(1, 7, 9, [1]), Part(5, 0, 0, [0])), 2);

        var d = plan.Topics[0].Partitions;
        Assert.Equal([ErrorCode.None, ErrorCode.InvalidRequest, ErrorCode.UnknownTopicOrPartition], d.Select(x => x.Error));
        Assert.Equal([0], d[0].Change!.Isr!);
        Assert.Null(d[1].Change);
    }

    private static AlterPartitionDecision Single(AlterPartitionPlan plan)
    {
        Assert.Equal(ErrorCode.None, plan.Error);
        return Assert.Single(Assert.Single(plan.Topics).Partitions);
    }

    private static AlterPartitionRequest Request(short version, params AlterPartitionRequest.PartitionData[] partitions)
    {
        return new AlterPartitionRequest
        {
            BrokerId = 0,
            BrokerEpoch = 10,
            Topics = [new() { TopicName = version < 2 ? "t" : "", TopicId = Id, Partitions = [.. partitions] }],
        };
    }

    /// <summary>A partition entry; with <paramref name="epochs"/> the ISR goes in NewIsrWithEpochs (v3), else in NewIsr.</summary>
    private static AlterPartitionRequest.PartitionData Part(int index, int leaderEpoch, int partitionEpoch, int[] isr, long[]? epochs = null) => new()
    {
        PartitionIndex = index,
        LeaderEpoch = leaderEpoch,
        PartitionEpoch = partitionEpoch,
        NewIsr = epochs is null ? [.. isr] : [],
        NewIsrWithEpochs = epochs is null ? [] : [.. isr.Zip(epochs, (id, e) => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = e })],
    };

    private static MetadataImage Image(PartitionMetadata? p0 = null, BrokerInfo[]? brokers = null)
    {
        var topic = new TopicMetadata("t", Id, [p0 ?? P0, P1], new Dictionary<string, string>());
        return new MetadataImage(
            new Dictionary<string, TopicMetadata>(StringComparer.Ordinal) { ["t"] = topic },
            new Dictionary<Guid, TopicMetadata> { [Id] = topic },
            new Dictionary<string, string>(StringComparer.Ordinal),
            0,
            (brokers ?? Live).ToDictionary(b => b.Id),
            controllerId: 0);
    }
}
