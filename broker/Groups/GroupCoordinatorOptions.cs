namespace KafkaOperator.Groups;

/// <summary>The broker settings the group coordinator follows (Kafka's names and defaults).</summary>
public sealed record GroupCoordinatorOptions
{
    /// <summary>group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members.</summary>
    public int InitialRebalanceDelayMs { get; init; } = 3000;

    /// <summary>group.min.session.timeout.ms</summary>
    public int MinSessionTimeoutMs { get; init; } = 6000;

    /// <summary>group.max.session.timeout.ms</summary>
    public int MaxSessionTimeoutMs { get; init; } = 1_800_000;

    /// <summary>group.max.size</summary>
    public int MaxSize { get; init; } = int.MaxValue;

    /// <summary>offsets.topic.num.partitions (the existing topic's count wins when it differs).</summary>
    public int OffsetsTopicPartitions { get; init; } = 50;

    /// <summary>offsets.retention.minutes in milliseconds.</summary>
    public long OffsetsRetentionMs { get; init; } = 10080L * 60 * 1000;

    /// <summary>offsets.retention.check.interval.ms</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600_000;

    /// <summary>offset.metadata.max.bytes</summary>
    public int OffsetMetadataMaxBytes { get; init; } = 4096;
}
