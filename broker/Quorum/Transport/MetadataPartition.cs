namespace KafkaOperator.Quorum.Transport;

/// <summary>The partition the quorum's Kafka RPCs name: <c>__cluster_metadata-0</c>, with Kafka's fixed topic id for it.</summary>
public static class MetadataPartition
{
    public const string Topic = "__cluster_metadata";

    public const int Partition = 0;

    /// <summary>Kafka's Uuid.METADATA_TOPIC_ID, (0, 1): "AAAAAAAAAAAAAAAAAAAAAQ" in base64.</summary>
    public static readonly Guid TopicId = new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bigEndian: true);
}
