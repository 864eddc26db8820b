using System.Text;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Commands;

/// <summary>One partition's election: Result is "elected" or Kafka's error name (ELECTION_NOT_NEEDED, ...).</summary>
public sealed record ElectionRow(string Topic, int Partition, string Result, string? Message);

/// <summary>Elected, not needed (the wanted leader leads already) and failed counts; only failures make the command fail.</summary>
public sealed record ElectionReport(ElectionType ElectionType, int Elected, int NotNeeded, int Failed, IReadOnlyList<ElectionRow> Partitions);

public static class LeaderViews
{
    public const string Elected = "elected";

    public static ElectionReport Report(ElectionType type, IReadOnlyList<ElectionResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var rows = results.Select(r => new ElectionRow(r.Topic, r.Partition, r.Error is { } e ? ErrorName(e.Code) : Elected, Detail(r.Error))).ToList();
        var notNeeded = results.Count(r => r.Error?.Code == ErrorCode.ElectionNotNeeded);
        var elected = results.Count(r => r.Succeeded);
        return new ElectionReport(type, elected, notNeeded, results.Count - elected - notNeeded, rows);
    }

    public static void WriteElection(TextWriter writer, ElectionReport report)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(report);
        if (report.Partitions.Count > 0)
        {
            var table = new TextTable("TOPIC", "PARTITION", "RESULT", "DETAIL").AlignRight("PARTITION");
            foreach (var p in report.Partitions)
            {
                table.AddRow(p.Topic, p.Partition, p.Result, p.Result == Elected ? null : p.Message);
            }

            table.WriteTo(writer);
        }

        var kind = report.ElectionType == ElectionType.Preferred ? "preferred" : "unclean";
        writer.WriteLine($"{kind} election: {report.Elected} elected, {report.NotNeeded} not needed, {report.Failed} failed.");
    }

    /// <summary>The broker's message without the code the result already names ("ElectionNotNeeded: ...").</summary>
    private static string? Detail(KafkaOperator.Client.KafkaException? error)
    {
        if (error is null)
        {
            return null;
        }

        var prefix = $"{error.Code}: ";
        return error.Message.StartsWith(prefix, StringComparison.Ordinal) ? error.Message[prefix.Length..]
            : error.Message == error.Code.ToString() ? null : error.Message;
    }

    /// <summary>Kafka's name for an error code: ElectionNotNeeded → ELECTION_NOT_NEEDED.</summary>
    public static string ErrorName(ErrorCode code)
    {
        var name = code.ToString();
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }
}
