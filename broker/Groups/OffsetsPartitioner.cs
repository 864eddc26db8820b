namespace KafkaOperator.Groups;

/// <summary>Which __consumer_offsets partition owns a group: Kafka's Utils.abs(groupId.hashCode) % partitions.</summary>
public static class OffsetsPartitioner
{
    public const string OffsetsTopic = "__consumer_offsets";

    /// <summary>Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, wrapping on overflow.</summary>
    public static int JavaHashCode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var h = 0;
        foreach (var c in value)
            h = unchecked((31 * h) + c);
        return h;
    }

    /// <summary>Kafka's Utils.abs maps int.MinValue to 0 instead of overflowing (unlike the producer's sign mask).</summary>
    public static int PartitionFor(string groupId, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        var hash = JavaHashCode(groupId);
        return (hash == int.MinValue ? 0 : Math.Abs(hash)) % partitionCount;
    }
}
