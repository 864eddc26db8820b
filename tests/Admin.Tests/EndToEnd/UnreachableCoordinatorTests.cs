using System.Net;
using System.Net.Sockets;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>
/// A cluster that answers on its bootstrap address but whose group coordinator cannot be reached: the broker listens on
/// one port and advertises another on which nothing listens, so FindCoordinator names a broker that refuses connections.
/// kafkactl must say which broker that is, not only that "the cluster" is unreachable.
/// </summary>
public sealed class UnreachableCoordinatorTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ko-admin-tests", Guid.NewGuid().ToString("N"));
    private readonly int _deadPort = ClosedPort();
    private BrokerHost? _host;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _host = await BrokerHost.StartAsync(BrokerConfig.Create(new Dictionary<string, string>
        {
            ["node.id"] = "0",
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{_deadPort}",
            ["metrics.port"] = "-1",
            ["log.dirs"] = _dir,
            ["offsets.topic.num.partitions"] = "1",
        }));
    }

    [Fact]
    public async Task GroupsDescribeNamesTheUnreachableCoordinator()
    {
        var result = await Cli.RunAsync($"127.0.0.1:{_host!.Port}", "groups", "describe", "some-group", "--timeout", "5");

        Cli.AssertCleanFailure(result, $"cannot reach broker 0 at 127.0.0.1:{_deadPort}");
        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.DoesNotContain("cannot reach the cluster", result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }

    /// <summary>A loopback port that was free a moment ago and has no listener: connecting to it is refused at once.</summary>
    private static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
