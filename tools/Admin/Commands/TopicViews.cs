using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

public sealed record TopicRow(string Name, int Partitions, bool Internal, string TopicId);

/// <summary>
/// One partition; offsets are null when ListOffsets failed for it, size (the leader's replica, DescribeLogDirs) when the
/// broker does not report it. Leader -1: none; <see cref="Offline"/>: replicas whose broker is down (fenced,
/// unregistered) or whose log is offline; <see cref="PreferredLeader"/>: whether the leader is the preferred (first)
/// replica, null without a leader.
/// </summary>
public sealed record PartitionDetail(int Partition, int Leader, int LeaderEpoch, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr,
    IReadOnlyList<int> Offline, long? LogStartOffset, long? LogEndOffset, long? SizeBytes, string? Error, bool? PreferredLeader = null);

/// <summary>Which partitions <c>topics describe</c> lists instead of the full detail, as kafka-topics.sh's report options.</summary>
public enum PartitionFilter
{
    /// <summary>--under-replicated: fewer in-sync replicas than replicas (--under-replicated-partitions).</summary>
    UnderReplicated,

    /// <summary>--unavailable: no leader, or a leader that is not a live broker (--unavailable-partitions).</summary>
    Unavailable,
}

/// <summary>A partition a filter selected: placement and health, without offsets.</summary>
public sealed record PartitionHealth(string Topic, int Partition, int Leader, int LeaderEpoch, IReadOnlyList<int> Replicas,
    IReadOnlyList<int> Isr, IReadOnlyList<int> Offline);

public sealed record TopicDetail(string Name, string TopicId, bool Internal, IReadOnlyList<PartitionDetail> Partitions,
    IReadOnlyDictionary<string, string?> Configs, bool SizesReported, string? SizesNote);

public sealed record TopicOperation(string Topic, string Operation, bool Succeeded, string? Error);

/// <summary>Table rendering of topic results; the json form is the records themselves.</summary>
public static class TopicViews
{
    public static void WriteList(TextWriter writer, IReadOnlyList<TopicRow> topics)
    {
        var table = new TextTable("TOPIC", "PARTITIONS", "INTERNAL", "TOPIC-ID").AlignRight("PARTITIONS");
        foreach (var t in topics)
        {
            table.AddRow(t.Name, t.Partitions, t.Internal ? "yes" : "no", t.TopicId);
        }

        table.WriteTo(writer);
    }

    public static void WriteDetail(TextWriter writer, TopicDetail topic)
    {
        writer.WriteLine($"Topic: {topic.Name}   TopicId: {topic.TopicId}   Partitions: {topic.Partitions.Count}   Internal: {(topic.Internal ? "yes" : "no")}");
        writer.WriteLine(topic.Configs.Count == 0
            ? "Configs: (all defaults)"
            : "Configs: " + string.Join(", ", topic.Configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")));
        writer.WriteLine();
        var table = new TextTable("PARTITION", "LEADER", "PREFERRED", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "LOG-START", "LOG-END", "MESSAGES", "SIZE")
            .AlignRight("PARTITION", "LEADER", "EPOCH", "LOG-START", "LOG-END", "MESSAGES", "SIZE");
        foreach (var p in topic.Partitions)
        {
            table.AddRow(p.Partition, Leader(p.Leader), YesNo(p.PreferredLeader), p.LeaderEpoch, Ids(p.Replicas), Ids(p.Isr), Ids(p.Offline), p.LogStartOffset,
                p.LogEndOffset, p.LogEndOffset - p.LogStartOffset, p.SizeBytes is { } size ? FormatBytes(size) : null);
        }

        table.WriteTo(writer);
        foreach (var p in topic.Partitions.Where(p => p.Error is not null))
        {
            writer.WriteLine($"partition {p.Partition}: {p.Error}");
        }

        if (!topic.SizesReported && topic.SizesNote is not null)
        {
            writer.WriteLine($"SIZE: {topic.SizesNote}");
        }
    }

    /// <summary>
    /// The partitions of <paramref name="topics"/> that <paramref name="filter"/> selects, in topic and partition order.
    /// <paramref name="liveBrokers"/> are the brokers the cluster reports alive (DescribeCluster).
    /// </summary>
    public static IReadOnlyList<PartitionHealth> Select(IEnumerable<TopicDescription> topics, PartitionFilter filter, IReadOnlySet<int> liveBrokers)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(liveBrokers);
        return topics
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.Partitions.OrderBy(p => p.Partition).Select(p => (Topic: t.Name, Partition: p)))
            .Where(x => filter switch
            {
                PartitionFilter.UnderReplicated => IsUnderReplicated(x.Partition),
                PartitionFilter.Unavailable => IsUnavailable(x.Partition, liveBrokers),
                _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
            })
            .Select(x => new PartitionHealth(x.Topic, x.Partition.Partition, x.Partition.LeaderId, x.Partition.LeaderEpoch,
                x.Partition.Replicas, x.Partition.Isr, x.Partition.OfflineReplicas))
            .ToList();
    }

    /// <summary>kafka-topics.sh's rule: fewer in-sync replicas than the replication factor (no reassignments here).</summary>
    public static bool IsUnderReplicated(KafkaOperator.Client.PartitionMetadata partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return partition.Isr.Count < partition.Replicas.Count;
    }

    /// <summary>kafka-topics.sh's rule: no leader, or one that is not among the live brokers.</summary>
    public static bool IsUnavailable(KafkaOperator.Client.PartitionMetadata partition, IReadOnlySet<int> liveBrokers)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(liveBrokers);
        return partition.LeaderId < 0 || !liveBrokers.Contains(partition.LeaderId);
    }

    public static void WriteHealth(TextWriter writer, IReadOnlyList<PartitionHealth> partitions)
    {
        var table = new TextTable("TOPIC", "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE")
            .AlignRight("PARTITION", "LEADER", "EPOCH");
        foreach (var p in partitions)
        {
            table.AddRow(p.Topic, p.Partition, Leader(p.Leader), p.LeaderEpoch, Ids(p.Replicas), Ids(p.Isr), Ids(p.Offline));
        }

        table.WriteTo(writer);
    }

    private static string? YesNo(bool? value) => value switch
    {
        true => "yes",
        false => "no",
        null => null,
    };

    // -1 is the protocol's "no leader"; people read "none" faster.
    private static object Leader(int id) => id < 0 ? "none" : id;

    private static string Ids(IReadOnlyList<int> ids) => string.Join(',', ids);

    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? $"{bytes} B"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
