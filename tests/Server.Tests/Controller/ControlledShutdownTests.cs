using KafkaOperator.Protocol;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>
/// A controlled shutdown commits the broker's fence and the controller's moves in one entry, and the state machine's
/// in-place writes (one array copy per topic per batch) never leak into an image already published or a batch undone.
/// </summary>
public sealed class ControlledShutdownTests
{
    [Fact]
    public async Task The_leader_turns_a_shutting_down_fence_into_one_batch_with_the_moves()
    {
        var (store, quorum) = ScriptedQuorum.Create();
        await using var _ = store;
        foreach (var id in new[] { 0, 1, 2 })
            await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", "127.0.0.1", 9092 + id)], null));
        var topicId = Guid.NewGuid();
        // Broker 1 leads partitions 1 and 4, and is a follower in every other.
        List<int[]> replicas = [.. Enumerable.Range(0, 6).Select(p => new[] { p % 3, (p + 1) % 3, (p + 2) % 3 })];
        await store.ProposeAsync(new CreateTopicRecord("t", topicId, replicas, []));
        var epoch1 = store.Image.Brokers[1].Epoch;
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0" });
        await using var controller = new ActiveController(config, store, () => quorum.Leader, () => quorum.Voters);

        var fence = MetadataRecordCodec.Encode(new FenceBrokerRecord(1, epoch1, ShuttingDown: true));
        var expanded = controller.ExpandProposal(fence);
        var batch = Assert.IsType<BatchRecord>(MetadataRecordCodec.Decode(expanded));
        Assert.Equal(7, batch.Records.Count); // the fence, then every partition (broker 1 leaves each ISR)
        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(batch)).Error); // returns once published

        var image = store.Image;
        Assert.True(image.Brokers[1].Fenced && image.Brokers[1].ShuttingDown);
        Assert.False(image.LeadsAny(1));
        Assert.All(image.Topic(topicId)!.Partitions, p => Assert.DoesNotContain(1, p.Isr));

        // Anything else, and a fence that is not a shutdown, goes through unchanged.
        var plain = MetadataRecordCodec.Encode(new FenceBrokerRecord(2, image.Brokers[2].Epoch));
        Assert.Same(plain, controller.ExpandProposal(plain));
        var barrier = MetadataRecordCodec.Encode(new BarrierRecord(0));
        Assert.Same(barrier, controller.ExpandProposal(barrier));
    }

    [Fact]
    public void Changes_after_an_image_or_inside_an_undone_batch_never_alter_what_was_published_or_restored()
    {
        var id = Guid.NewGuid();
        PartitionMetadata[] parts = [.. Enumerable.Range(0, 3).Select(i => new PartitionMetadata(i, 0, 0, [0, 1, 2], [0, 1, 2], PartitionEpoch: 0))];
        var topic = new TopicMetadata("t", id, parts, new Dictionary<string, string>());
        var start = new MetadataImage(new Dictionary<string, TopicMetadata>(StringComparer.Ordinal) { ["t"] = topic },
            new Dictionary<Guid, TopicMetadata> { [id] = topic }, new Dictionary<string, string>(StringComparer.Ordinal), 0);
        var machine = new MetadataStateMachine(start);

        Assert.Equal(ErrorCode.None, machine.Apply(new PartitionChangeRecord(id, 0, 0, null, [0, 1]), 1).Error);
        var first = machine.ToImage(-1);
        Assert.Equal(ErrorCode.None, machine.Apply(new PartitionChangeRecord(id, 1, 0, null, [0, 1]), 2).Error);
        // A batch whose second change is stale: the first is undone.
        var undone = machine.Apply(new BatchRecord([new PartitionChangeRecord(id, 2, 0, null, [0, 2]), new PartitionChangeRecord(id, 0, 0, null, [0])]), 3);
        var second = machine.ToImage(-1);

        Assert.Equal(ErrorCode.InvalidUpdateVersion, undone.Error);
        Assert.Equal([0, 1, 2], start.Topic(id)!.Partitions[0].Isr);
        Assert.Equal([0, 1], first.Topic(id)!.Partitions[0].Isr);
        Assert.Equal([0, 1, 2], first.Topic(id)!.Partitions[1].Isr);
        Assert.Equal([0, 1], second.Topic(id)!.Partitions[1].Isr);
        Assert.Equal([0, 1, 2], second.Topic(id)!.Partitions[2].Isr);
        Assert.Same(first.Topic(id)!.Partitions[2], second.Topic(id)!.Partitions[2]); // unchanged records are shared
    }
}
