using System.Text.Json;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// A produce storm (confluent-kafka-python, idempotent, acks=all) runs while the broker process is killed with
/// SIGKILL (or stopped with SIGTERM); the broker restarts on the same data and port, a second producer appends
/// more, and every acknowledged record must be at its acknowledged offset, with no offset handed out twice.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class DurabilityTests(ITestOutputHelper output)
{
    private const int PartitionCount = 6;
    private const int AckedBeforeCrash = 30_000;
    private const int RecordsAfterRestart = 10_000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Acknowledged_records_survive_a_broker_crash_and_offsets_are_never_reused(bool sigkill)
    {
        var python = RepoPaths.RequirePython();
        await using var broker = await BrokerProcess.StartAsync(output);
        var topic = "durability-" + Guid.NewGuid().ToString("N")[..8];
        var before = Path.Combine(broker.DataDir, "..", "acks-before.txt");
        var after = Path.Combine(broker.DataDir, "..", "acks-after.txt");
        var storm = Path.Combine(RepoPaths.PythonDir, "durability_storm.py");

        using (var running = RunningScript.Start(python,
                   [storm, broker.BootstrapServers, topic, "before", before, $"{AckedBeforeCrash}", "0", "--create", $"{PartitionCount}"]))
        {
            await running.WaitForLineAsync("ACKED", TimeSpan.FromSeconds(90));
            if (sigkill)
            {
                broker.Kill();
            }
            else
            {
                Assert.Equal(0, await broker.StopAsync(TimeSpan.FromSeconds(30)));
            }

            running.Kill();
            output.WriteLine($"storm stderr tail: {Tail(running.Stderr)}");
        }

        await broker.RestartAsync();
        var second = await ClientScript.RunAsync(python,
            [storm, broker.BootstrapServers, topic, "after", after, "1", $"{RecordsAfterRestart}"],
            TimeSpan.FromMinutes(2), output);
        var secondSummary = second.RequireSummary();
        Assert.True(secondSummary.GetProperty("ok").GetBoolean(), secondSummary.GetRawText() + "\n" + Tail(broker.Log));
        Assert.Equal(RecordsAfterRestart, secondSummary.GetProperty("acked").GetInt32());

        var verify = await ClientScript.RunAsync(python,
            [Path.Combine(RepoPaths.PythonDir, "durability_verify.py"), broker.BootstrapServers, topic,
             $"before={before}", $"after={after}"],
            TimeSpan.FromMinutes(2), output);
        var summary = verify.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText() + "\n" + Tail(broker.Log));
        var acked = summary.GetProperty("acked");
        Assert.True(acked.GetProperty("before").GetInt32() >= AckedBeforeCrash, acked.GetRawText());
        Assert.Equal(RecordsAfterRestart, acked.GetProperty("after").GetInt32());
        Assert.Equal(RecordsAfterRestart, summary.GetProperty("in_log").GetProperty("after").GetInt32());
        output.WriteLine(JsonSerializer.Serialize(summary));
    }

    /// <summary>
    /// The same idempotent producer keeps going through a SIGKILL and restart: batches that were written but not
    /// acknowledged are retried with their sequence numbers, so the restarted broker must recognise them from the
    /// producer state it rebuilt from the log; nothing may be lost or written twice.
    /// </summary>
    [Fact]
    public async Task An_idempotent_producer_continues_through_a_crash_without_loss_or_duplicates()
    {
        const int total = 60_000;
        var python = RepoPaths.RequirePython();
        await using var broker = await BrokerProcess.StartAsync(output);
        var topic = "durability-live-" + Guid.NewGuid().ToString("N")[..8];
        var acks = Path.Combine(broker.DataDir, "..", "acks-live.txt");

        using var storm = RunningScript.Start(python,
            [Path.Combine(RepoPaths.PythonDir, "durability_storm.py"), broker.BootstrapServers, topic, "live", acks,
             $"{total / 3}", $"{total}", "--create", $"{PartitionCount}"]);
        await storm.WaitForLineAsync("ACKED", TimeSpan.FromSeconds(90));
        broker.Kill();
        await broker.RestartAsync();
        var exit = await storm.WaitForExitAsync(TimeSpan.FromMinutes(2));
        var stormSummary = storm.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.True(exit == 0 && stormSummary.Contains("\"ok\": true", StringComparison.Ordinal),
            $"storm: {stormSummary}\n{Tail(storm.Stderr)}\n{Tail(broker.Log)}");

        var verify = await ClientScript.RunAsync(python,
            [Path.Combine(RepoPaths.PythonDir, "durability_verify.py"), broker.BootstrapServers, topic, $"live={acks}"],
            TimeSpan.FromMinutes(2), output);
        var summary = verify.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText() + "\n" + Tail(broker.Log));
        Assert.Equal(total, summary.GetProperty("acked").GetProperty("live").GetInt32());
        Assert.Equal(total, summary.GetProperty("in_log").GetProperty("live").GetInt32());
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];
}
