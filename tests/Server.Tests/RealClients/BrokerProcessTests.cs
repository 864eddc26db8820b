using System.Net.Sockets;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>The broker executable's process contract the other real-client tests rely on.</summary>
[Collection(RealClientsCollection.Name)]
public sealed class BrokerProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Starts_on_an_ephemeral_port_stops_on_sigterm_and_restarts_on_the_same_port()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        Assert.InRange(broker.Port, 1, 65535);
        Assert.True(broker.ReportedStartup < TimeSpan.FromSeconds(10), $"startup {broker.ReportedStartup}");
        await AssertAcceptsAsync(broker);

        Assert.Equal(0, await broker.StopAsync(TimeSpan.FromSeconds(20)));
        var port = broker.Port;
        await broker.RestartAsync();
        Assert.Equal(port, broker.Port);
        await AssertAcceptsAsync(broker);

        broker.Kill();
        Assert.False(broker.IsRunning);
        await broker.RestartAsync();
        await AssertAcceptsAsync(broker);
    }

    [Fact]
    public async Task Kcat_lists_the_broker_in_metadata()
    {
        var kcat = RepoPaths.RequireTool("kcat", "kafkacat");
        await using var broker = await BrokerProcess.StartAsync(output);
        var result = await ClientScript.RunAsync(kcat, ["-L", "-J", "-b", broker.BootstrapServers, "-m", "10"],
            TimeSpan.FromSeconds(30), output);
        var summary = result.RequireSummary();
        var only = Assert.Single(summary.GetProperty("brokers").EnumerateArray());
        Assert.Equal($"127.0.0.1:{broker.Port}", only.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_log_dir_that_cannot_be_created_stops_the_broker_with_the_system_message()
    {
        // A parent that is a regular file: mkdir fails even for root, which chmod would not stop.
        var dir = Path.Combine(Path.GetTempPath(), "ko-logdir-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "not-a-dir");
            await File.WriteAllTextAsync(file, "");
            var logDir = Path.Combine(file, "data");
            var result = await ClientScript.RunAsync("dotnet",
                [RepoPaths.BrokerDll, Path.Combine(RepoPaths.Root, "broker", "server.properties"),
                    "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", $"log.dirs={logDir}"],
                TimeSpan.FromSeconds(60), output);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"error: broker failed to start: Could not find a part of the path '{logDir}'.", result.Stderr, StringComparison.Ordinal);
            // Not the resource key the runtime prints when its messages are trimmed away (IO_PathNotFound_Path, ...).
            Assert.DoesNotMatch(@"\b[A-Z][A-Za-z]*_[A-Za-z_]+, ", result.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task AssertAcceptsAsync(BrokerProcess broker)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(broker.Host, broker.Port, cts.Token);
        Assert.True(client.Connected);
    }
}
