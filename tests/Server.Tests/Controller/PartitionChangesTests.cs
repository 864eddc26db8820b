using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>
/// Large batches of partition changes (a fencing, a controlled shutdown) are packed per topic into
/// <see cref="PartitionChangesRecord"/>s: the packed batch applies exactly as the plain one, all or nothing, and
/// survives the log's codec; small batches stay as they are.
/// </summary>
public sealed class PartitionChangesTests
{
    private static (MetadataImage Image, Guid A, Guid B) Image(int partitions)
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        TopicMetadata Topic(string name, Guid id) => new(name, id,
            [.. Enumerable.Range(0, partitions).Select(i => new PartitionMetadata(i, i % 3, 2, [i % 3, (i + 1) % 3, (i + 2) % 3], [i % 3, (i + 1) % 3, (i + 2) % 3], PartitionEpoch: 5))],
            new Dictionary<string, string>());
        var ta = Topic("a", a);
        var tb = Topic("b", b);
        var image = new MetadataImage(new Dictionary<string, TopicMetadata>(StringComparer.Ordinal) { ["a"] = ta, ["b"] = tb },
            new Dictionary<Guid, TopicMetadata> { [a] = ta, [b] = tb }, new Dictionary<string, string>(StringComparer.Ordinal), 0);
        return (image, a, b);
    }

    /// <summary>Broker 1 leaves every ISR; where it led, the next replica leads.</summary>
    private static List<MetadataRecord> MovesOffBroker1(MetadataImage image, params Guid[] topics)
    {
        var records = new List<MetadataRecord>();
        foreach (var id in topics)
        {
            foreach (var p in image.Topic(id)!.Partitions)
            {
                var isr = p.Isr.Where(r => r != 1).ToArray();
                records.Add(new PartitionChangeRecord(id, p.Partition, p.PartitionEpoch, p.Leader == 1 ? isr[0] : null, isr));
            }
        }
        return records;
    }

    [Fact]
    public void A_packed_batch_applies_exactly_as_the_plain_one_and_survives_the_codec()
    {
        var (image, a, b) = Image(150);
        var plain = MovesOffBroker1(image, a, b);
        // An unclean election in the middle of topic a: it stays a record of its own, and the run is split around it.
        plain[70] = new PartitionChangeRecord(a, 70, 5, 2, [2], Unclean: true);
        var packed = PartitionChanges.Compact(plain);
        Assert.Equal(4, packed.Count); // a 0-69, the unclean one, a 71-149, b 0-149
        Assert.IsType<PartitionChangeRecord>(packed[1]);
        var decoded = Assert.IsType<BatchRecord>(MetadataRecordCodec.Decode(MetadataRecordCodec.Encode(new BatchRecord(packed))));
        Assert.True(MetadataRecordCodec.Encode(new BatchRecord(packed)).Length * 5 < MetadataRecordCodec.Encode(new BatchRecord(plain)).Length);

        var byPlain = new MetadataStateMachine(image);
        Assert.Equal(ErrorCode.None, byPlain.Apply(new BatchRecord(plain), 10).Error);
        var byPacked = new MetadataStateMachine(image);
        Assert.Equal(ErrorCode.None, byPacked.Apply(decoded, 10).Error);
        var expected = byPlain.ToImage(-1);
        var actual = byPacked.ToImage(-1);
        foreach (var id in new[] { a, b })
        {
            Assert.Equal(expected.Topic(id)!.Partitions, actual.Topic(id)!.Partitions, PartitionComparer.Instance);
            Assert.Equal(Enumerable.Range(0, 150), byPacked.Delta.Topics[id].ChangedPartitions.Order());
        }
        Assert.False(actual.LeadsAny(1));
    }

    [Fact]
    public void Small_batches_are_left_one_record_per_change()
    {
        var (image, a, _) = Image(PartitionChanges.CompactFrom - 1);
        var plain = MovesOffBroker1(image, a);
        Assert.Equal(plain, PartitionChanges.Compact(plain));
    }

    [Fact]
    public void A_packed_record_with_one_bad_change_changes_nothing()
    {
        var (image, a, _) = Image(100);
        var good = (PartitionChangesRecord)PartitionChanges.Compact(MovesOffBroker1(image, a)).Single();
        var stale = good with { PartitionEpochs = [.. good.PartitionEpochs.Select((e, i) => i == 99 ? e - 1 : e)] };
        var repeated = good with { Partitions = [.. good.Partitions.Select((p, i) => i == 99 ? 0 : p)] };
        var uneven = good with { Leaders = good.Leaders[..^1] };
        var missing = (PartitionChangesRecord)MetadataRecordCodec.Decode("""{"type":"partitionChanges","topicId":"00000000-0000-0000-0000-000000000001","partitions":[0]}"""u8);
        var machine = new MetadataStateMachine(image);

        Assert.Equal(ErrorCode.InvalidUpdateVersion, machine.Apply(stale, 1).Error);
        Assert.Equal(ErrorCode.InvalidRequest, machine.Apply(repeated, 2).Error);
        Assert.Equal(ErrorCode.InvalidRequest, machine.Apply(uneven, 3).Error);
        Assert.Equal(ErrorCode.InvalidRequest, machine.Apply(missing, 4).Error);
        Assert.Empty(machine.Delta.Topics);
        Assert.Same(image.Topic(a)!.Partitions, machine.ToImage(-1).Topic(a)!.Partitions);
        Assert.Equal(ErrorCode.None, machine.Apply(good, 5).Error);
        Assert.All(machine.ToImage(-1).Topic(a)!.Partitions, p => Assert.DoesNotContain(1, p.Isr));
    }

    [Fact]
    public async Task A_controlled_shutdown_of_a_broker_in_many_partitions_commits_one_packed_batch()
    {
        var (store, quorum) = ScriptedQuorum.Create();
        foreach (var id in new[] { 0, 1, 2 })
            await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", "127.0.0.1", 9092 + id)], null));
        var topicId = Guid.NewGuid();
        List<int[]> replicas = [.. Enumerable.Range(0, 300).Select(p => new[] { p % 3, (p + 1) % 3, (p + 2) % 3 })];
        await store.ProposeAsync(new CreateTopicRecord("t", topicId, replicas, []));
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0" });
        await using var controller = new ActiveController(config, store, () => quorum.Leader, () => quorum.Voters);

        var expanded = controller.ExpandProposal(MetadataRecordCodec.Encode(new FenceBrokerRecord(1, store.Image.Brokers[1].Epoch, ShuttingDown: true)));
        var batch = Assert.IsType<BatchRecord>(MetadataRecordCodec.Decode(expanded));
        Assert.IsType<FenceBrokerRecord>(batch.Records[0]);
        Assert.Equal(300, Assert.IsType<PartitionChangesRecord>(Assert.Single(batch.Records.Skip(1))).Partitions.Length);
        Assert.Equal(ErrorCode.None, (await store.ProposeAsync(batch)).Error);

        var image = store.Image;
        Assert.True(image.Brokers[1].Fenced);
        Assert.False(image.LeadsAny(1));
        Assert.All(image.Topic(topicId)!.Partitions, p => Assert.DoesNotContain(1, p.Isr));
        Assert.All(image.Topic(topicId)!.Partitions, p => Assert.Equal(1, p.PartitionEpoch));
    }

    private sealed class PartitionComparer : IEqualityComparer<PartitionMetadata>
    {
        public static readonly PartitionComparer Instance = new();

        public bool Equals(PartitionMetadata? x, PartitionMetadata? y) =>
            x is not null && y is not null && x.Partition == y.Partition && x.Leader == y.Leader && x.LeaderEpoch == y.LeaderEpoch
            && x.PartitionEpoch == y.PartitionEpoch && x.Isr.SequenceEqual(y.Isr) && x.Replicas.SequenceEqual(y.Replicas);

        public int GetHashCode(PartitionMetadata obj) => obj.Partition;
    }
}
