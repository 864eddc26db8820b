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

    private static async Task AssertAcceptsAsync(BrokerProcess broker)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(broker.Host, broker.Port, cts.Token);
        Assert.True(client.Connected);
    }
}
