namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>The two per-topic figures, from partition snapshots (no broker state: the bench probe compiles this in).</summary>
public static partial class TopicSkewReport
{
    /// <summary>The largest key's guaranteed count, summed over partitions, over the sampled records.</summary>
    public static double HotKeyShare(IReadOnlyCollection<PartitionKeySnapshot> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var records = partitions.Sum(s => s.Records);
        if (records == 0)
            return 0;
        var byKey = new Dictionary<ulong, long>();
        foreach (var s in partitions)
        {
            foreach (var k in s.Keys)
                byKey[k.Hash] = byKey.GetValueOrDefault(k.Hash) + (k.Count - k.Error);
        }
        return byKey.Count == 0 ? 0 : Math.Min(1.0, byKey.Values.Max() / (double)records);
    }

    /// <summary>The largest partition's bytes over the mean (1: even; n partitions all in one: n).</summary>
    public static double BytesSkew(IReadOnlyList<long> bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var total = bytes.Sum();
        return total == 0 ? 0 : bytes.Max() / (total / (double)bytes.Count);
    }
}
