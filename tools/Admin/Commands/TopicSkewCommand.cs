using System.CommandLine;
using System.Globalization;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Commands;

/// <summary>
/// kafkactl topics skew &lt;topic&gt;: the topic's heaviest recent keys with their share and partitions, and the
/// partition byte skew, read from every partition leader's metrics port (see <see cref="KeySkewReader"/>).
/// </summary>
public static class TopicSkewCommand
{
    public static Command Create(CommandRunner runner)
    {
        var topic = new Argument<string>("topic") { Description = "Topic name." };
        var top = new Option<int>("--top") { Description = "How many keys to show (default 10).", DefaultValueFactory = _ => 10 };
        var urls = new Option<string?>("--metrics-url")
        {
            Description = "Comma-separated http://host:port of the brokers' metrics ports (default: each leader's host from Metadata and its metrics.port from DescribeConfigs).",
        };
        var command = new Command("skew", "Heaviest record keys of the topic's recent traffic (share of records, partitions) and partition byte skew.") { topic, top, urls };
        runner.Bind(command, async (ctx, ct) =>
        {
            var given = ctx.Parse.GetValue(urls) is { Length: > 0 } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u)).ToList()
                : null;
            await using var admin = await ctx.ConnectAsync(ct);
            var skew = await KeySkewReader.ReadAsync(admin, ctx.Parse.GetValue(topic)!, given, cancellationToken: ct);
            var limit = Math.Max(1, ctx.Parse.GetValue(top));
            ctx.Write(skew with { Keys = [.. skew.Keys.Take(limit)] }, Write);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Write(TextWriter writer, TopicKeySkew skew)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(skew);
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Create(c, $"Topic: {skew.Topic}   Recent records: {skew.Records} accounted for, {skew.Unsampled} waiting for their partition's next sample   Partition bytes skew: {skew.BytesSkew:0.00} (max/mean)"));
        if (skew.Unreachable.Count > 0)
            writer.WriteLine($"Not reported: partitions {string.Join(",", skew.Unreachable)} (no leader, or its metrics port did not answer)");
        writer.WriteLine();
        if (skew.Keys.Count == 0)
        {
            writer.WriteLine(skew.Records == 0 ? "No recent keyed records to sample." : "No key stands out: none holds a measurable share.");
        }
        else
        {
            var keys = new TextTable("KEY", "SHARE", "RECORDS", "PARTITIONS", "KEY-BYTES", "HASH").AlignRight("SHARE", "RECORDS", "KEY-BYTES");
            foreach (var k in skew.Keys)
                keys.AddRow(k.Display, string.Create(c, $"{k.Share * 100:0.0}%"), k.Count, string.Join(",", k.Partitions), k.KeyLength, k.Hash);
            keys.WriteTo(writer);
        }
        writer.WriteLine();
        var parts = new TextTable("PARTITION", "LEADER", "RECORDS", "KEYLESS", "UNSAMPLED", "BYTES").AlignRight("PARTITION", "LEADER", "RECORDS", "KEYLESS", "UNSAMPLED", "BYTES");
        foreach (var p in skew.Partitions)
            parts.AddRow(p.Partition, p.Leader, p.Records, p.Keyless, p.Unsampled, p.Bytes);
        parts.WriteTo(writer);
    }
}
