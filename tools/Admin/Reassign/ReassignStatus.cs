using System.Diagnostics;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Reassign;

/// <summary>One partition of a plan: its state ("in progress", "done", "not matching": neither moving nor at the target), replicas and what is left to copy.</summary>
public sealed record ReassignPartitionStatus(string Topic, int Partition, string State, IReadOnlyList<int> Replicas, IReadOnlyList<int> Target,
    IReadOnlyList<int> Adding, IReadOnlyList<int> Removing, long? RecordsLeft);

/// <summary>
/// A plan's progress. Sizes are in records (log end − log start offset of each moving partition, times its replicas
/// being added): bytes per replica need DescribeLogDirs, which this broker does not implement yet. RecordsPerSecond
/// and EtaSeconds come from how fast RecordsLeft fell since the first poll (null until it has).
/// </summary>
public sealed record ReassignStatusResult(int Total, int Done, int InProgress, long RecordsLeft, double? RecordsPerSecond, double? EtaSeconds,
    bool ThrottlesRemoved, IReadOnlyList<ReassignPartitionStatus> Partitions);

/// <summary>What the polls of one `reassign status --watch` remember: the first poll's time and records left.</summary>
public sealed class ReassignProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long? _firstLeft;

    public (double? Rate, double? Eta) Observe(long recordsLeft)
    {
        _firstLeft ??= recordsLeft;
        var seconds = _clock.Elapsed.TotalSeconds;
        var moved = _firstLeft.Value - recordsLeft;
        if (moved <= 0 || seconds <= 0)
            return (null, null);
        var rate = moved / seconds;
        return (rate, recordsLeft / rate);
    }
}

public static class ReassignStatus
{
    public const string InProgressState = "in progress";
    public const string Done = "done";
    public const string NotMatching = "not matching";

    public static async Task<ReassignStatusResult> ReadAsync(KafkaAdminClient admin, ReassignmentPlan plan, ReassignProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(progress);
        var ongoing = (await admin.ListPartitionReassignmentsAsync(plan.Partitions.Select(p => p.Partition), cancellationToken: ct)).ToDictionary(o => o.Partition);
        var current = await ReassignCommands.CurrentReplicasAsync(admin, plan, ct);
        var moving = plan.Partitions.Where(p => ongoing.ContainsKey(p.Partition)).Select(p => p.Partition).ToList();
        var records = new Dictionary<TopicPartition, long>();
        if (moving.Count > 0)
        {
            var ends = await admin.ListOffsetsAsync(moving, OffsetSpec.Latest, ct);
            var starts = (await admin.ListOffsetsAsync(moving, OffsetSpec.Earliest, ct)).Where(o => o.Succeeded).ToDictionary(o => o.Partition, o => o.Offset);
            foreach (var end in ends.Where(e => e.Succeeded))
                records[end.Partition] = Math.Max(0, end.Offset - starts.GetValueOrDefault(end.Partition));
        }
        var rows = new List<ReassignPartitionStatus>();
        foreach (var p in plan.Partitions)
        {
            var replicas = current.GetValueOrDefault(p.Partition) ?? [];
            if (ongoing.TryGetValue(p.Partition, out var o))
            {
                long? left = records.TryGetValue(p.Partition, out var n) ? n * o.AddingReplicas.Count : null;
                rows.Add(new ReassignPartitionStatus(p.Partition.Topic, p.Partition.Partition, InProgressState, o.Replicas, p.Replicas, o.AddingReplicas, o.RemovingReplicas, left));
            }
            else
            {
                var state = replicas.SequenceEqual(p.Replicas) ? Done : NotMatching;
                rows.Add(new ReassignPartitionStatus(p.Partition.Topic, p.Partition.Partition, state, replicas, p.Replicas, [], [], state == Done ? 0 : null));
            }
        }
        var total = rows.Where(r => r.State == InProgressState).Sum(r => r.RecordsLeft ?? 0);
        var (rate, eta) = progress.Observe(total);
        return new ReassignStatusResult(rows.Count, rows.Count(r => r.State == Done), rows.Count(r => r.State == InProgressState), total, rate, eta, false, rows);
    }
}
