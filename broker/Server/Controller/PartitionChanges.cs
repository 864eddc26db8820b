namespace KafkaOperator.Server.Controller;

/// <summary>
/// Packs the active controller's partition changes for a large batch into <see cref="PartitionChangesRecord"/>s: each
/// run of consecutive plain changes (no unclean election, no reassignment fields) of one topic becomes one record, so
/// the batch's order, and with it what applies, stays exactly as decided. Small batches stay one record per change
/// (readable in the log, and cheap anyway).
/// </summary>
public static class PartitionChanges
{
    /// <summary>Batches with fewer partition changes than this are left as they are.</summary>
    public const int CompactFrom = 64;

    public static List<MetadataRecord> Compact(IReadOnlyList<MetadataRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count(r => r is PartitionChangeRecord) < CompactFrom)
            return [.. records];
        var result = new List<MetadataRecord>();
        var run = new List<PartitionChangeRecord>();
        var inRun = new HashSet<int>();
        void Flush()
        {
            if (run.Count == 1)
                result.Add(run[0]);
            else if (run.Count > 1)
                result.Add(new PartitionChangesRecord(run[0].TopicId, [.. run.Select(c => c.Partition)], [.. run.Select(c => c.PartitionEpoch)],
                    [.. run.Select(c => c.Leader)], [.. run.Select(c => c.Isr)]));
            run.Clear();
            inRun.Clear();
        }
        foreach (var record in records)
        {
            if (record is PartitionChangeRecord { Unclean: false, Replicas: null, AddingReplicas: null, RemovingReplicas: null } change)
            {
                if (run.Count > 0 && (run[0].TopicId != change.TopicId || inRun.Contains(change.Partition)))
                    Flush();
                run.Add(change);
                inRun.Add(change.Partition);
                continue;
            }
            Flush();
            result.Add(record);
        }
        Flush();
        return result;
    }

    /// <summary>The record's entry <paramref name="i"/> as the single change it stands for.</summary>
    public static PartitionChangeRecord At(PartitionChangesRecord r, int i)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new PartitionChangeRecord(r.TopicId, r.Partitions[i], r.PartitionEpochs[i], r.Leaders[i], r.Isrs[i]);
    }
}
