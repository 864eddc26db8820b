using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Server.Controller;

// The records of the replicated metadata log, in the spirit of KRaft's metadata records (RegisterBrokerRecord,
// TopicRecord, PartitionRecord, ConfigRecord, ...). Each is a deterministic command: every node applies the same
// committed sequence to the same image, so the outcome (an error, an allocated id) is computed identically
// everywhere and the proposer reads its own result from its local apply. Encoded as JSON: the log is small and
// read only at start-up, and a readable log is worth more here than a few bytes.

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(BarrierRecord), "barrier")]
[JsonDerivedType(typeof(RegisterBrokerRecord), "registerBroker")]
[JsonDerivedType(typeof(FenceBrokerRecord), "fenceBroker")]
[JsonDerivedType(typeof(UnfenceBrokerRecord), "unfenceBroker")]
[JsonDerivedType(typeof(CreateTopicRecord), "createTopic")]
[JsonDerivedType(typeof(DeleteTopicRecord), "deleteTopic")]
[JsonDerivedType(typeof(AddPartitionsRecord), "addPartitions")]
[JsonDerivedType(typeof(TopicConfigsRecord), "topicConfigs")]
[JsonDerivedType(typeof(BrokerConfigsRecord), "brokerConfigs")]
[JsonDerivedType(typeof(ProducerIdsRecord), "producerIds")]
[JsonDerivedType(typeof(PartitionChangeRecord), "partitionChange")]
[JsonDerivedType(typeof(BatchRecord), "batch")]
[JsonDerivedType(typeof(PartitionChangesRecord), "partitionChanges")]
public abstract record MetadataRecord;

/// <summary>Changes nothing; a node that has applied it has applied everything committed before it.</summary>
public sealed record BarrierRecord(int NodeId) : MetadataRecord;

/// <summary>A broker (re)joins: its listeners and rack. Its epoch becomes the record's offset, as in KRaft.</summary>
public sealed record RegisterBrokerRecord(int BrokerId, List<EndpointRecord> Endpoints, string? Rack) : MetadataRecord;

public sealed record EndpointRecord(string Name, string Host, int Port);

/// <summary>The controller saw no sign of life within broker.session.timeout.ms; Epoch guards against a re-registered broker.</summary>
/// ShuttingDown: the broker asked for it itself (controlled shutdown), so it is not unfenced while it still answers.
public sealed record FenceBrokerRecord(int BrokerId, long Epoch, bool ShuttingDown = false) : MetadataRecord;

public sealed record UnfenceBrokerRecord(int BrokerId, long Epoch) : MetadataRecord;

/// <summary>A new topic with its replica placement; each partition starts led by its first unfenced replica, all unfenced replicas in sync.</summary>
public sealed record CreateTopicRecord(string Name, Guid TopicId, List<int[]> Replicas, Dictionary<string, string> Configs) : MetadataRecord;

public sealed record DeleteTopicRecord(Guid TopicId) : MetadataRecord;

/// <summary>Partitions appended to a topic: the placement of each new one, in partition order.</summary>
public sealed record AddPartitionsRecord(Guid TopicId, List<int[]> Replicas) : MetadataRecord;

public sealed record TopicConfigsRecord(Guid TopicId, Dictionary<string, string> Configs) : MetadataRecord;

public sealed record BrokerConfigsRecord(Dictionary<string, string> Configs) : MetadataRecord;

/// <summary>Reserves Count producer ids; the block starts at the image's NextProducerId when applied.</summary>
public sealed record ProducerIdsRecord(int BrokerId, int Count) : MetadataRecord;

/// <summary>
/// The active controller's decision for one partition (KRaft's PartitionChangeRecord): a new leader (null: unchanged,
/// -1: none) and/or ISR (null: unchanged). It applies only to the partition epoch it was decided on, so a decision
/// made on a state that changed since is refused, never applied on top of it. A new leader bumps the leader epoch.
/// Unclean marks a leader chosen outside the ISR (possible loss of committed records, logged as such).
/// Replicas, AddingReplicas and RemovingReplicas (null: unchanged) move a reassignment on, as in KRaft's record.
/// </summary>
public sealed record PartitionChangeRecord(Guid TopicId, int Partition, int PartitionEpoch, int? Leader, int[]? Isr, bool Unclean = false,
    int[]? Replicas = null, int[]? AddingReplicas = null, int[]? RemovingReplicas = null) : MetadataRecord;

/// <summary>
/// Leader and ISR changes of many partitions of one topic: entry i is the <see cref="PartitionChangeRecord"/>
/// (TopicId, Partitions[i], PartitionEpochs[i], Leaders[i], Isrs[i]) without Unclean or reassignment fields, and the
/// record applies all of them or none. A fencing moves every partition a broker holds, and one record per partition
/// spent about 215 bytes of JSON each (the topic id repeated), which every node encoded, replicated, wrote and
/// decoded: 21 MB for 100,000 partitions. This form takes about 15 bytes per partition. See <see cref="PartitionChanges"/>.
/// </summary>
public sealed record PartitionChangesRecord(Guid TopicId, int[] Partitions, int[] PartitionEpochs, int?[] Leaders, int[]?[] Isrs) : MetadataRecord;

/// <summary>Records applied all or nothing: a fenced broker and the leaderships and ISRs that move off it, in one step.</summary>
public sealed record BatchRecord(List<MetadataRecord> Records) : MetadataRecord;

public static class MetadataRecordCodec
{
    public static byte[] Encode(MetadataRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, MetadataRecordJson.Default.MetadataRecord);

    /// <summary>Decodes one record; a payload this version cannot read is an error, never a silent skip.</summary>
    public static MetadataRecord Decode(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize(payload, MetadataRecordJson.Default.MetadataRecord)
        ?? throw new InvalidDataException("empty metadata record");

    /// <summary>
    /// Encodes, decodes and applies a small packed fencing batch (on a throw-away image) often enough for the JIT to
    /// compile those paths fully. Without it the first fencing or controlled shutdown of a process paid about 100 ms of
    /// compilation for its batch on the quorum's event loop, and then ran the codec's and the state machine's
    /// slowest code for thousands of partitions.
    /// </summary>
    public static void WarmUp()
    {
        var topic = Guid.NewGuid();
        var partitions = new Cluster.PartitionMetadata[PartitionChanges.CompactFrom];
        for (var i = 0; i < partitions.Length; i++)
            partitions[i] = new Cluster.PartitionMetadata(i, 0, 0, [0, 1, 2], [0, 1, 2]);
        var t = new Cluster.TopicMetadata("warm-up", topic, partitions, new Dictionary<string, string>());
        var brokers = new Dictionary<int, Cluster.BrokerInfo>();
        for (var b = 0; b < 3; b++)
            brokers[b] = new Cluster.BrokerInfo(b, 0, [], null, Fenced: false);
        var image = new Cluster.MetadataImage(new Dictionary<string, Cluster.TopicMetadata>(StringComparer.Ordinal) { [t.Name] = t },
            new Dictionary<Guid, Cluster.TopicMetadata> { [topic] = t }, new Dictionary<string, string>(StringComparer.Ordinal), 0, brokers);
        var records = new List<MetadataRecord> { new FenceBrokerRecord(0, 0, ShuttingDown: true) };
        foreach (var p in partitions)
            records.Add(new PartitionChangeRecord(topic, p.Partition, 0, 1, [1, 2]));
        var payload = Encode(new BatchRecord(PartitionChanges.Compact(records)));
        for (var round = 0; round < 40; round++)
            new MetadataStateMachine(image).Apply(Decode(Encode(Decode(payload))), 0);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MetadataRecord))]
internal sealed partial class MetadataRecordJson : JsonSerializerContext
{
}
