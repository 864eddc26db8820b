using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// A second broker on a port the first listens on must fail to start, as Kafka does. (.NET's ReuseAddress sets
/// SO_REUSEPORT on Linux, with which both bound the port and the kernel split new connections between them.)
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class PortInUseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_second_broker_on_the_client_port_exits_1_saying_the_address_is_in_use()
    {
        await using var first = await BrokerProcess.StartAsync(output);

        var (exitCode, log) = await BrokerProcess.StartExpectingExitAsync(output,
            new Dictionary<string, string> { ["listeners"] = $"PLAINTEXT://127.0.0.1:{first.Port}" }, RefusalTimeout);

        Assert.Equal(1, exitCode);
        Assert.Contains($"Address already in use: {first.Port}", log, StringComparison.Ordinal);
        Assert.True(first.IsRunning);
    }

    [Fact]
    public async Task A_second_broker_on_the_quorum_port_exits_1_saying_the_address_is_in_use()
    {
        var controllerPort = FreePort();
        await using var first = await BrokerProcess.StartAsync(output, QuorumSettings(controllerPort));

        var (exitCode, log) = await BrokerProcess.StartExpectingExitAsync(output, QuorumSettings(controllerPort), RefusalTimeout);

        Assert.Equal(1, exitCode);
        Assert.Contains($"Address already in use: {controllerPort}", log, StringComparison.Ordinal);
        Assert.True(first.IsRunning);
    }

    // A one-voter quorum: the broker is ready on its own once it has elected itself.
    private static Dictionary<string, string> QuorumSettings(int controllerPort) => new()
    {
        ["node.id"] = "0",
        ["process.roles"] = "broker,controller",
        ["controller.quorum.voters"] = $"0@127.0.0.1:{controllerPort.ToString(CultureInfo.InvariantCulture)}",
        ["controller.listener.names"] = "CONTROLLER",
        ["listeners"] = $"PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{controllerPort.ToString(CultureInfo.InvariantCulture)}",
    };

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
