using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Groups;

public enum ResetStrategy
{
    Earliest,
    Latest,
    Offset,
    Datetime,
}

/// <summary>Where to move a group's offsets: <see cref="Value"/> is the offset or the timestamp (ms) for those strategies.</summary>
public sealed record ResetSpec(ResetStrategy Strategy, long Value = 0);

/// <summary>What the broker currently reports for one partition.</summary>
/// <param name="Committed">The group's committed offset, null without a commit.</param>
/// <param name="OffsetForTime">ListOffsets for the spec's timestamp: first offset at or after it, -1 when none.</param>
public sealed record PartitionOffsets(TopicPartition Partition, long? Committed, long LogStart, long LogEnd, long OffsetForTime = -1);

public sealed record PlannedReset(TopicPartition Partition, long? CurrentOffset, long NewOffset);

/// <summary>
/// Computes new offsets the way kafka-consumer-groups does: explicit offsets are clamped into [log start, log end]
/// (an offset outside the log would only trigger the consumer's auto.offset.reset), and a datetime after the last
/// record moves to the log end.
/// </summary>
public static class OffsetResetPlanner
{
    public static IReadOnlyList<PlannedReset> Plan(ResetSpec spec, IEnumerable<PartitionOffsets> partitions) =>
        partitions
            .OrderBy(p => p.Partition.Topic, StringComparer.Ordinal)
            .ThenBy(p => p.Partition.Partition)
            .Select(p => new PlannedReset(p.Partition, p.Committed, Target(spec, p)))
            .ToList();

    public static long Target(ResetSpec spec, PartitionOffsets p) => spec.Strategy switch
    {
        ResetStrategy.Earliest => p.LogStart,
        ResetStrategy.Latest => p.LogEnd,
        ResetStrategy.Offset => Math.Clamp(spec.Value, p.LogStart, Math.Max(p.LogStart, p.LogEnd)),
        ResetStrategy.Datetime => p.OffsetForTime >= 0 ? Math.Clamp(p.OffsetForTime, p.LogStart, Math.Max(p.LogStart, p.LogEnd)) : p.LogEnd,
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };
}
