using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// The idempotent librdkafka produce storm (durability_storm.py, confluent-kafka-python) that the cluster tests run
/// while they kill, cut off or move brokers, and its check (durability_verify.py): every acknowledged record in the
/// log exactly once, at its acknowledged offset, in order per partition. One copy, so a change to the scripts'
/// arguments or summaries is made once.
/// </summary>
public static class DurabilityStorm
{
    public const string Phase = "storm";

    /// <summary>
    /// Sends <paramref name="ackedBeforeMarker"/> records, prints its marker line (ACKED), then the rest up to
    /// <paramref name="total"/> (0: until <paramref name="stopFile"/> exists); each acknowledgement goes to
    /// <paramref name="ackFile"/> as "partition offset i time-ms". <paramref name="rate"/> &gt; 0 caps records a second.
    /// </summary>
    public static RunningScript Start(string python, BrokerCluster cluster, string topic, string ackFile, int ackedBeforeMarker, int total,
        (int Partitions, int Rf, int? MinIsr)? create = null, string? stopFile = null, int rate = 0)
    {
        List<string> args =
        [
            Path.Combine(RepoPaths.PythonDir, "durability_storm.py"), cluster.BootstrapServers, topic, Phase, ackFile,
            $"{ackedBeforeMarker}", $"{total}",
        ];
        if (create is { } c)
        {
            args.AddRange(["--create", $"{c.Partitions}", "--rf", $"{c.Rf}"]);
            if (c.MinIsr is { } minIsr)
                args.AddRange(["--min-isr", $"{minIsr}"]);
        }
        if (stopFile is not null)
            args.AddRange(["--stop-file", stopFile]);
        if (rate > 0)
            args.AddRange(["--rate", $"{rate}"]);
        return RunningScript.Start(python, args);
    }

    /// <summary>The storm exited 0 and reported every record acknowledged; returns how many it sent.</summary>
    public static int AssertOk(int exit, RunningScript storm, BrokerCluster cluster)
    {
        var summary = LastLine(storm);
        Assert.True(exit == 0 && summary.Contains("\"ok\": true", StringComparison.Ordinal), Context(summary, storm, cluster));
        using var json = JsonDocument.Parse(summary);
        return json.RootElement.GetProperty("acked").GetInt32();
    }

    /// <summary>Acknowledgements written to <paramref name="ackFile"/> so far (whole lines).</summary>
    public static int AckedSoFar(string ackFile)
    {
        using var stream = new FileStream(ackFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var lines = 0;
        var buffer = new byte[1 << 16];
        for (int n; (n = stream.Read(buffer)) > 0;)
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    /// <summary>
    /// Reads the topic back: the acknowledged records of <paramref name="phases"/> (name=ack file) are all there;
    /// <paramref name="acked"/> of the storm were acknowledged, and between that many and <paramref name="total"/> are in
    /// the log (a send that failed on the client's timeout may still have been written; never fewer than acknowledged).
    /// </summary>
    public static async Task<JsonElement> VerifyAsync(string python, BrokerCluster cluster, string topic, ITestOutputHelper output,
        int acked, int total, params string[] phases)
    {
        var verify = await ClientScript.RunAsync(python,
            [Path.Combine(RepoPaths.PythonDir, "durability_verify.py"), cluster.BootstrapServers, topic, .. phases],
            TimeSpan.FromMinutes(2), output);
        var summary = verify.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        Assert.Equal(acked, summary.GetProperty("acked").GetProperty(Phase).GetInt32());
        Assert.InRange(summary.GetProperty("in_log").GetProperty(Phase).GetInt32(), acked, total);
        output.WriteLine(JsonSerializer.Serialize(summary));
        return summary;
    }

    public static string Tail(string text, int length = 3000) => text.Length <= length ? text : "..." + text[^length..];

    private static string LastLine(RunningScript storm) =>
        storm.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";

    private static string Context(string summary, RunningScript storm, BrokerCluster cluster) =>
        $"storm: {summary}\n{Tail(storm.Stderr)}\n{string.Join("\n", cluster.Brokers.Select(b => Tail(b.Log)))}";
}
