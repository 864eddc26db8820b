using System.Diagnostics;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Reassign;

/// <summary>One partition of a plan: its state ("in progress", "done", "not matching": neither moving nor at the target), replicas and what is left to copy.</summary>
public sealed record ReassignPartitionStatus(string Topic, int Partition, string State, IReadOnlyList<int> Replicas, IReadOnlyList<int> Target,
    IReadOnlyList<int> Adding, IReadOnlyList<int> Removing, long? RecordsLeft, long? BytesLeft = null);

/// <summary>
/// A plan's progress. RecordsLeft: log end − log start offset of each moving partition, times its replicas being
/// added. BytesLeft (DescribeLogDirs; null when the brokers cannot say): for each replica being added, how far its
/// log is below the largest copy among the replicas it joins. The rates and EtaSeconds come from how fast these fell
/// since the first poll (null until they have); the ETA follows bytes when they are known.
/// </summary>
public sealed record ReassignStatusResult(int Total, int Done, int InProgress, long RecordsLeft, double? RecordsPerSecond, double? EtaSeconds,
    bool ThrottlesRemoved, IReadOnlyList<ReassignPartitionStatus> Partitions, long? BytesLeft = null, double? BytesPerSecond = null);

/// <summary>What the polls of one `reassign status --watch` remember: the first poll's time, records and bytes left.</summary>
public sealed class ReassignProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long? _firstRecords;
    private long? _firstBytes;

    public (double? Rate, double? Eta) Observe(long recordsLeft) => Rate(ref _firstRecords, recordsLeft);

    public (double? Rate, double? Eta) ObserveBytes(long bytesLeft) => Rate(ref _firstBytes, bytesLeft);

    private (double? Rate, double? Eta) Rate(ref long? first, long left)
    {
        first ??= left;
        var seconds = _clock.Elapsed.TotalSeconds;
        var moved = first.Value - left;
        if (moved <= 0 || seconds <= 0)
            return (null, null);
        var rate = moved / seconds;
        return (rate, left / rate);
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
        var sizes = await SizesAsync(admin, moving, ongoing, ct);
        var rows = new List<ReassignPartitionStatus>();
        foreach (var p in plan.Partitions)
        {
            var replicas = current.GetValueOrDefault(p.Partition) ?? [];
            if (ongoing.TryGetValue(p.Partition, out var o))
            {
                long? left = records.TryGetValue(p.Partition, out var n) ? n * o.AddingReplicas.Count : null;
                rows.Add(new ReassignPartitionStatus(p.Partition.Topic, p.Partition.Partition, InProgressState, o.Replicas, p.Replicas, o.AddingReplicas, o.RemovingReplicas, left,
                    BytesLeft(sizes, o)));
            }
            else
            {
                var state = replicas.SequenceEqual(p.Replicas) ? Done : NotMatching;
                rows.Add(new ReassignPartitionStatus(p.Partition.Topic, p.Partition.Partition, state, replicas, p.Replicas, [], [], state == Done ? 0 : null,
                    state == Done ? 0 : null));
            }
        }
        var inProgress = rows.Where(r => r.State == InProgressState).ToList();
        var total = inProgress.Sum(r => r.RecordsLeft ?? 0);
        var (rate, eta) = progress.Observe(total);
        long? bytes = sizes is null ? null : inProgress.Sum(r => r.BytesLeft ?? 0);
        double? byteRate = null;
        if (bytes is { } b)
            (byteRate, eta) = progress.ObserveBytes(b);
        return new ReassignStatusResult(rows.Count, rows.Count(r => r.State == Done), inProgress.Count, total, rate, eta, false, rows, bytes, byteRate);
    }

    /// <summary>Each moving partition's copies by broker, from DescribeLogDirs; null when the brokers cannot describe them.</summary>
    private static async Task<Dictionary<(TopicPartition Partition, int Broker), long>?> SizesAsync(KafkaAdminClient admin, List<TopicPartition> moving,
        Dictionary<TopicPartition, PartitionReassignment> ongoing, CancellationToken ct)
    {
        if (moving.Count == 0)
            return [];
        var brokers = moving.SelectMany(p => ongoing[p].Replicas).Distinct().ToList();
        IReadOnlyList<LogDirDescription> dirs;
        try
        {
            dirs = await admin.DescribeLogDirsAsync(brokers, moving, ct);
        }
        catch (KafkaException)
        {
            return null;
        }
        if (!dirs.Any(d => d.Succeeded))
            return null;
        var sizes = new Dictionary<(TopicPartition, int), long>();
        foreach (var dir in dirs.Where(d => d.Succeeded))
        {
            foreach (var r in dir.Replicas.Where(r => !r.IsFuture))
                sizes[(new TopicPartition(r.Topic, r.Partition), dir.BrokerId)] = r.SizeBytes;
        }
        return sizes;
    }

    /// <summary>For each replica being added, how far its copy is below the largest copy of the replicas it joins.</summary>
    private static long? BytesLeft(Dictionary<(TopicPartition Partition, int Broker), long>? sizes, PartitionReassignment o)
    {
        if (sizes is null)
            return null;
        var source = o.Replicas.Except(o.AddingReplicas).Select(b => sizes.GetValueOrDefault((o.Partition, b))).DefaultIfEmpty(0).Max();
        return o.AddingReplicas.Sum(b => Math.Max(0, source - sizes.GetValueOrDefault((o.Partition, b))));
    }
}
