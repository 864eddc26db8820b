namespace KafkaOperator.Groups;

public readonly record struct TopicPartition(string Topic, int Partition);

/// <summary>A committed offset as stored in __consumer_offsets (ExpireTimestamp -1 unless a v2-v4 commit set a retention).</summary>
public sealed record OffsetAndMetadata(long Offset, int LeaderEpoch, string Metadata, long CommitTimestamp, long ExpireTimestamp = -1);
