using KafkaOperator.Protocol;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

public sealed class QuorumMetadataStoreTests
{
    private static readonly Dictionary<string, string> NoConfigs = [];

    private static async Task RegisterAsync(QuorumMetadataStore store, params int[] ids)
    {
        foreach (var id in ids)
        {
            var result = await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", $"broker-{id}", 9092)], $"rack-{id % 2}"));
            Assert.Equal(ErrorCode.None, result.Error);
        }
    }

    private static TopicMetadata Topic(string name, params int[][] replicas) =>
        new(name, Guid.NewGuid(), [.. replicas.Select((r, i) => new PartitionMetadata(i, r[0], 0, r, r))], NoConfigs);

    [Fact]
    public async Task A_change_is_published_to_subscribers_before_the_call_returns()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1, 2);
        var seen = new List<MetadataImage>();
        store.Changed += (image, _) => seen.Add(image);

        await store.CreateTopicAsync(Topic("orders", [0], [1], [2]));

        var topic = Assert.IsType<TopicMetadata>(store.Image.Topic("orders"));
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.Leader));
        Assert.Same(store.Image, seen[^1]);
        Assert.Equal(3, store.Image.Brokers.Count);
        Assert.Equal("broker-1", store.Image.Brokers[1].Endpoints[0].Host);
        Assert.Equal("rack-1", store.Image.Brokers[1].Rack);
    }

    [Fact]
    public async Task Creating_a_topic_twice_is_TopicAlreadyExists_and_changes_nothing()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0);
        var first = Topic("dup", [0]);
        await store.CreateTopicAsync(first);

        var ex = await Assert.ThrowsAsync<MetadataStoreException>(() => store.CreateTopicAsync(Topic("dup", [0], [0])));

        Assert.Equal(ErrorCode.TopicAlreadyExists, ex.Error);
        Assert.Equal(first.TopicId, store.Image.Topic("dup")!.TopicId);
        Assert.Single(store.Image.Topic("dup")!.Partitions);
    }

    [Fact]
    public async Task A_fence_decides_nothing_and_the_controllers_batch_moves_leaderships_atomically()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1, 2);
        await store.CreateTopicAsync(Topic("t", [0], [1], [2], [1, 0]));
        var epoch = store.Image.Brokers[1].Epoch;

        // Applying a fence alone changes no partition: only the controller's records do.
        var machine = new MetadataStateMachine(store.Image);
        Assert.Equal(ErrorCode.None, machine.Apply(new FenceBrokerRecord(1, epoch), 100).Error);
        var fencedOnly = machine.ToImage(-1);
        Assert.Equal([0, 1, 2, 1], fencedOnly.Topic("t")!.Partitions.Select(p => p.Leader));

        var moves = PartitionElection.DecideAll(fencedOnly, _ => false);
        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(new BatchRecord([new FenceBrokerRecord(1, epoch), .. moves]))).Error);

        var t = store.Image.Topic("t")!;
        Assert.True(store.Image.Brokers[1].Fenced);
        Assert.Equal([0, -1, 2, 0], t.Partitions.Select(p => p.Leader));
        Assert.Equal([0, 1, 0, 1], t.Partitions.Select(p => p.LeaderEpoch));
        Assert.Equal([1], t.Partitions[1].Isr);
        Assert.Equal([0], t.Partitions[3].Isr);
        Assert.Equal([0, 1, 0, 1], t.Partitions.Select(p => p.PartitionEpoch));

        // Registering again leaves it fenced (a restart); once unfenced, the controller elects it where it is the ISR.
        await RegisterAsync(store, 1);
        Assert.True(store.Image.Brokers[1].Fenced);
        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(new UnfenceBrokerRecord(1, store.Image.Brokers[1].Epoch))).Error);
        var elect = PartitionElection.DecideAll(store.Image, _ => false);
        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(new BatchRecord([.. elect]))).Error);
        var back = store.Image.Topic("t")!;
        Assert.Equal([0, 1, 2, 0], back.Partitions.Select(p => p.Leader));
        Assert.Equal([0, 2, 0, 1], back.Partitions.Select(p => p.LeaderEpoch));
    }

    [Fact]
    public async Task A_batch_with_a_failing_record_applies_nothing()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1);
        await store.CreateTopicAsync(Topic("t", [0, 1]));
        var before = store.Image.Topic("t")!.Partitions[0];
        var id = store.Image.Topic("t")!.TopicId;

        var result = await store.ProposeAsync(new BatchRecord(
        [
            new PartitionChangeRecord(id, 0, 0, null, [0]),
            new PartitionChangeRecord(id, 0, 0, 1, null), // decided on partition epoch 0, which the first record ended
        ]));

        Assert.Equal(ErrorCode.InvalidUpdateVersion, result.Error);
        Assert.Equal(before, store.Image.Topic("t")!.Partitions[0]);
    }

    [Fact]
    public async Task A_fence_for_an_older_broker_epoch_is_refused()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1);
        var old = store.Image.Brokers[1].Epoch;
        await RegisterAsync(store, 1);

        var result = await store.ProposeAsync(new FenceBrokerRecord(1, old));

        Assert.Equal(ErrorCode.StaleBrokerEpoch, result.Error);
        Assert.NotEqual(old, store.Image.Brokers[1].Epoch);
    }

    [Fact]
    public async Task Producer_id_blocks_never_overlap()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        var a = await store.AllocateProducerIdBlockAsync(1000);
        var b = await store.AllocateProducerIdBlockAsync(1000);
        Assert.Equal(0, a);
        Assert.Equal(1000, b);
        Assert.Equal(2000, store.Image.NextProducerId);
    }

    [Fact]
    public async Task Replaying_the_committed_log_gives_the_same_image()
    {
        var (store, quorum) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1, 2);
        var t = Topic("replayed", [0], [1]);
        await store.CreateTopicAsync(t);
        await store.AddPartitionsAsync(t.TopicId, [new PartitionMetadata(2, 2, 0, [2], [2])]);
        await store.SetTopicConfigsAsync(t.TopicId, new Dictionary<string, string> { ["retention.ms"] = "1000" });
        await store.SetBrokerConfigsAsync(new Dictionary<string, string> { ["default:log.retention.ms"] = "5000" });
        await store.ProposeAsync(new FenceBrokerRecord(2, store.Image.Brokers[2].Epoch));
        await store.CreateTopicAsync(Topic("gone", [0]));
        await store.DeleteTopicAsync(store.Image.Topic("gone")!.TopicId);
        await store.AllocateProducerIdBlockAsync(10);

        await using var replica = new QuorumMetadataStore("test-cluster", 1);
        var published = new TaskCompletionSource<MetadataImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        replica.Changed += (image, _) =>
        {
            if (image.NextProducerId == 10)
                published.TrySetResult(image);
        };
        ((IRaftListener)replica).OnCommitted(quorum.Entries);
        var image = await published.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Describe(store.Image), Describe(image));
    }

    [Fact]
    public async Task Subscribers_get_each_commit_as_a_delta_of_exactly_the_partitions_it_changed()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        await RegisterAsync(store, 0, 1, 2);
        var t = Topic("orders", [0, 1], [1, 2], [2, 0]);
        await store.CreateTopicAsync(t);
        var seen = new List<(MetadataImage Image, MetadataDelta Delta)>();
        store.Changed += (image, delta) =>
        {
            lock (seen)
                seen.Add((image, delta));
        };
        var before = store.Image;
        var p = before.Topic(t.TopicId)!.Partitions[2];

        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(new PartitionChangeRecord(t.TopicId, 2, p.PartitionEpoch, null, [p.Leader]))).Error);

        var (image, delta) = Assert.Single(seen);
        Assert.Same(store.Image, image);
        Assert.True(delta.AppliesTo(before));
        var changed = Assert.Single(delta.Topics).Value;
        Assert.Equal(t.TopicId, changed.TopicId);
        Assert.Equal([2], changed.ChangedPartitions);
        Assert.Empty(delta.Brokers);
        Assert.Same(before.Topic(t.TopicId)!.Partitions[0], image.Topic(t.TopicId)!.Partitions[0]);
    }

    [Fact]
    public async Task Without_a_controller_a_change_fails_with_a_quorum_error()
    {
        var (store, quorum) = ScriptedQuorum.Create();
        await using var _store = store;
        quorum.Unavailable = true;
        await Assert.ThrowsAsync<QuorumException>(() => store.CreateTopicAsync(Topic("t", [0])));
        Assert.Null(store.Image.Topic("t"));
    }

    [Fact]
    public async Task The_controller_id_follows_the_quorum_leader()
    {
        var (store, _) = ScriptedQuorum.Create();
        await using var _store = store;
        var changed = new TaskCompletionSource<MetadataImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Changed += (image, _) =>
        {
            if (image.ControllerId == 2)
                changed.TrySetResult(image);
        };
        ((IRaftListener)store).OnLeaderChange(new LeaderAndEpoch(2, 5));
        Assert.Equal(2, (await changed.Task.WaitAsync(TimeSpan.FromSeconds(10))).ControllerId);
    }

    private static string Describe(MetadataImage image)
    {
        var topics = image.TopicsByName.Values.OrderBy(t => t.Name).Select(t =>
            $"{t.Name}/{t.TopicId}/[{string.Join(";", t.Partitions.Select(p => $"{p.Partition}:{p.Leader}:{p.LeaderEpoch}:{string.Join(',', p.Replicas)}"))}]/{string.Join(',', t.Configs.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))}");
        var brokers = image.Brokers.Values.OrderBy(b => b.Id).Select(b => $"{b.Id}:{b.Epoch}:{b.Fenced}:{b.Rack}");
        return string.Join("\n", topics.Concat(brokers).Append(image.NextProducerId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Concat(image.BrokerConfigs.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
    }
}
