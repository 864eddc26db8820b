using System.Globalization;
using KafkaOperator.Admin.Output;

namespace KafkaOperator.Admin.Reassign;

/// <summary>One partition of an execute or cancel: replicas before, the target (or what a cancel reverts to), and the outcome.</summary>
public sealed record ReassignExecuteRow(string Topic, int Partition, IReadOnlyList<int> Current, IReadOnlyList<int> Target, string Result, string? Error);

public sealed record ReassignExecuteResult(long? ThrottleBytesPerSecond, IReadOnlyList<ReassignExecuteRow> Partitions);

/// <summary>Tables for `reassign`; the json form is the records themselves.</summary>
public static class ReassignViews
{
    public static void WriteExecute(TextWriter writer, ReassignExecuteResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var table = new TextTable("TOPIC", "PARTITION", "CURRENT", "TARGET", "RESULT").AlignRight("PARTITION");
        foreach (var r in result.Partitions)
            table.AddRow(r.Topic, r.Partition, List(r.Current), List(r.Target), r.Error is null ? r.Result : $"{r.Result}: {r.Error}");
        table.WriteTo(writer);
        if (result.ThrottleBytesPerSecond is { } rate)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Throttle: {rate} bytes/s on the moving replicas (removed by `kafkactl reassign status` once the plan is done)."));
        writer.WriteLine("Save the CURRENT column to roll back: `kafkactl reassign cancel --plan <file>` while moves are in progress.");
    }

    public static void WriteCancel(TextWriter writer, ReassignExecuteResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Partitions.Count == 0)
        {
            writer.WriteLine("No reassignment in progress.");
            return;
        }
        var table = new TextTable("TOPIC", "PARTITION", "REPLICAS", "REVERTED-TO", "RESULT").AlignRight("PARTITION");
        foreach (var r in result.Partitions)
            table.AddRow(r.Topic, r.Partition, List(r.Current), List(r.Target), r.Error is null ? r.Result : $"{r.Result}: {r.Error}");
        table.WriteTo(writer);
    }

    public static void WriteStatus(TextWriter writer, ReassignStatusResult status)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(status);
        writer.WriteLine(ProgressLine(status));
        writer.WriteLine();
        var table = new TextTable("TOPIC", "PARTITION", "STATE", "REPLICAS", "TARGET", "ADDING", "REMOVING", "RECORDS-LEFT", "BYTES-LEFT")
            .AlignRight("PARTITION", "RECORDS-LEFT", "BYTES-LEFT");
        foreach (var p in status.Partitions)
            table.AddRow(p.Topic, p.Partition, p.State, List(p.Replicas), List(p.Target), List(p.Adding), List(p.Removing), p.RecordsLeft, p.BytesLeft);
        table.WriteTo(writer);
        if (status.ThrottlesRemoved)
            writer.WriteLine("Every partition is done; throttles removed.");
    }

    public static string ProgressLine(ReassignStatusResult status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var rate = status.BytesPerSecond is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / 1e6:0.0} MB/s")
            : status.RecordsPerSecond is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r:0} records/s") : "-";
        var eta = status.EtaSeconds is { } e ? string.Create(CultureInfo.InvariantCulture, $"{e:0} s") : "-";
        var bytes = status.BytesLeft is { } left ? string.Create(CultureInfo.InvariantCulture, $"   Bytes left: {left / 1e6:0.0} MB") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"Partitions: {status.Done} done, {status.InProgress} in progress, {status.Total - status.Done - status.InProgress} not matching, of {status.Total}{bytes}   Records left: {status.RecordsLeft}   Rate: {rate}   ETA: {eta}");
    }

    private static string List(IReadOnlyList<int> ids) => ids.Count == 0 ? "-" : string.Join(',', ids);
}
