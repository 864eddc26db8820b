using KafkaOperator.Admin.Output;

namespace KafkaOperator.Admin.Commands;

public sealed record TopicRow(string Name, int Partitions, bool Internal, string TopicId);

/// <summary>One partition; offsets are null when ListOffsets failed for it, size when the broker does not report it.</summary>
public sealed record PartitionDetail(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr,
    long? LogStartOffset, long? LogEndOffset, long? SizeBytes, string? Error);

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
        var table = new TextTable("PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START", "LOG-END", "MESSAGES", "SIZE")
            .AlignRight("PARTITION", "LEADER", "LOG-START", "LOG-END", "MESSAGES", "SIZE");
        foreach (var p in topic.Partitions)
        {
            table.AddRow(p.Partition, p.Leader, string.Join(',', p.Replicas), string.Join(',', p.Isr), p.LogStartOffset,
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
