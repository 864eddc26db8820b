namespace KafkaOperator.Client.Admin;

/// <summary>ElectLeaders' election types (KIP-460).</summary>
public enum ElectionType : sbyte
{
    /// <summary>Move leadership to the preferred (first) replica when it is alive and in sync.</summary>
    Preferred = 0,

    /// <summary>Give a leaderless partition a leader, out of sync if no in-sync replica is alive (may lose records).</summary>
    Unclean = 1,
}

/// <summary>One partition's election outcome; <see cref="Error"/> is null when a new leader was elected.</summary>
public sealed record ElectionResult(string Topic, int Partition, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>One replica a broker holds in a log dir (DescribeLogDirs): its size in bytes and offset lag.</summary>
public sealed record ReplicaLogInfo(string Topic, int Partition, long SizeBytes, long OffsetLag, bool IsFuture);

/// <summary>
/// One log dir of one broker. TotalBytes / UsableBytes are the file system's size and free bytes (-1 when the broker
/// does not report them, before DescribeLogDirs v4). Error is set when the dir (or the whole broker) could not be described.
/// </summary>
public sealed record LogDirDescription(int BrokerId, string Path, IReadOnlyList<ReplicaLogInfo> Replicas, long TotalBytes, long UsableBytes,
    KafkaException? Error)
{
    public bool Succeeded => Error is null;
}
