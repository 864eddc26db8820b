namespace KafkaOperator.Client.Admin;

/// <summary>A topic to create. -1 partitions / replication factor means the broker's default.</summary>
public sealed class NewTopic
{
    public NewTopic(string name, int numPartitions = -1, short replicationFactor = -1)
    {
        Name = name;
        NumPartitions = numPartitions;
        ReplicationFactor = replicationFactor;
    }

    public string Name { get; }

    public int NumPartitions { get; set; }

    public short ReplicationFactor { get; set; }

    public IDictionary<string, string?> Configs { get; init; } = new Dictionary<string, string?>();

    /// <summary>Explicit replica placement (partition → broker ids); when set, partitions and RF must be -1.</summary>
    public IDictionary<int, IReadOnlyList<int>>? ReplicaAssignment { get; init; }
}

/// <summary>Outcome of an admin operation on one topic; <see cref="Error"/> is null on success.</summary>
public sealed record TopicResult(string Name, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record TopicDescription(string Name, Guid TopicId, bool IsInternal, IReadOnlyList<PartitionMetadata> Partitions,
    KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record TopicListing(string Name, Guid TopicId, bool IsInternal, int PartitionCount);

public sealed record ClusterDescription(string? ClusterId, int ControllerId, IReadOnlyList<BrokerNode> Brokers);

public enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
    ClientMetrics = 16,
    Group = 32,
}

/// <summary>Where a config value comes from, numbered as DescribeConfigs reports it.</summary>
public enum ConfigSource : sbyte
{
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
    ClientMetricsConfig = 7,
    GroupConfig = 8,
}

public enum AlterConfigOp : sbyte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

/// <summary>A topic (Name = topic) or broker (Name = broker id, "" for the cluster-wide default).</summary>
public sealed record ConfigResource(ConfigResourceType Type, string Name)
{
    public static ConfigResource Topic(string name) => new(ConfigResourceType.Topic, name);

    public static ConfigResource Broker(int brokerId) =>
        new(ConfigResourceType.Broker, brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed record ConfigSynonym(string Name, string? Value, ConfigSource Source);

public sealed record ConfigEntry(string Name, string? Value, ConfigSource Source, bool IsReadOnly, bool IsSensitive,
    bool IsDefault, IReadOnlyList<ConfigSynonym> Synonyms);

public sealed record ConfigResourceResult(ConfigResource Resource, IReadOnlyList<ConfigEntry> Entries, KafkaException? Error)
{
    public bool Succeeded => Error is null;

    public ConfigEntry? this[string name] => Entries.FirstOrDefault(e => e.Name == name);
}

public sealed record ConfigAlteration(string Name, string? Value, AlterConfigOp Op = AlterConfigOp.Set);

public sealed record ResourceResult(ConfigResource Resource, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>Special timestamps for ListOffsets; any other value finds the first offset with a timestamp at or after it.</summary>
public static class OffsetSpec
{
    public const long Latest = -1;
    public const long Earliest = -2;
    public const long MaxTimestamp = -3;
}

public sealed record PartitionOffset(TopicPartition Partition, long Offset, long Timestamp, int LeaderEpoch, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record DeletedRecords(TopicPartition Partition, long LowWatermark, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public static class AdminResultExtensions
{
    /// <summary>Throws the first error among per-topic/per-resource results; returns them when all succeeded.</summary>
    public static IReadOnlyList<T> ThrowIfAnyFailed<T>(this IReadOnlyList<T> results)
    {
        foreach (var result in results)
        {
            var error = result switch
            {
                TopicResult r => r.Error,
                TopicDescription r => r.Error,
                ConfigResourceResult r => r.Error,
                ResourceResult r => r.Error,
                PartitionOffset r => r.Error,
                DeletedRecords r => r.Error,
                _ => null,
            };
            if (error is not null)
            {
                throw error;
            }
        }

        return results;
    }
}

/// <summary>
/// The metadata quorum as its leader reports it. <see cref="HighWatermark"/>: entries below it are committed.
/// Observers are replicas that are not voters (none in combined mode).
/// </summary>
public sealed record QuorumDescription(int LeaderId, int LeaderEpoch, long HighWatermark,
    IReadOnlyList<QuorumReplica> Voters, IReadOnlyList<QuorumReplica> Observers);

/// <summary>
/// One quorum replica as the leader sees it. Timestamps are the leader's wall clock in Unix ms (-1: unknown);
/// <see cref="Lag"/> is how far its log end is behind the high watermark (0 when at or past it, -1 when unknown).
/// </summary>
public sealed record QuorumReplica(int Id, long LogEndOffset, long LastFetchTimestamp, long LastCaughtUpTimestamp, long Lag);
