using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Admin.Tests.EndToEnd;

[Collection(BrokerCollection.Name)]
public class QuorumCommandTests(BrokerFixture broker)
{
    [Fact]
    public async Task DescribeOnASingleNodeShowsItsQuorumOfOne()
    {
        // No controller.quorum.voters: the node is the only voter of its own quorum.
        var result = await broker.RunAsync("quorum", "describe");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^Leader: 0   Epoch: [1-9][0-9]*   HighWatermark: [1-9][0-9]*   MaxLag: 0   Voters: 1   Observers: 0\n", result.Out);
        Assert.Matches(@"(?m)^   0  leader\s+[0-9]+\s+0\s+", result.Out);
    }

    /// <summary>
    /// The voter changes' refusals through kafkactl and the broker's handlers (KIP-853): the one voter cannot go, an
    /// id that is no voter is not found, a voter cannot be added twice, and a node that never fetched is not caught up.
    /// </summary>
    [Fact]
    public async Task VoterChangesOnAQuorumOfOneAreRefusedAsKafkaRefusesThem()
    {
        var last = await broker.RunAsync("quorum", "remove-voter", "0");
        Assert.Equal(1, last.ExitCode);
        Assert.Contains("VoterNotFound", last.Err, StringComparison.Ordinal);
        var unknown = await broker.RunAsync("quorum", "remove-voter", "7");
        Assert.Contains("VoterNotFound", unknown.Err, StringComparison.Ordinal);
        var twice = await broker.RunAsync("quorum", "add-voter", "0", "--endpoint", "127.0.0.1:1");
        Assert.Contains("DuplicateVoter", twice.Err, StringComparison.Ordinal);
        var behind = await broker.RunAsync("quorum", "add-voter", "5", "--endpoint", "127.0.0.1:1");
        Assert.Equal(1, behind.ExitCode);
        Assert.Contains("RequestTimedOut", behind.Err, StringComparison.Ordinal);
        Assert.Contains("lagging", behind.Err, StringComparison.Ordinal);
        var bad = await broker.RunAsync("quorum", "add-voter", "5", "--endpoint", "nowhere");
        Assert.Equal(2, bad.ExitCode);

        var still = await broker.RunAsync("quorum", "describe");
        Assert.Matches(@"Voters: 1   Observers: 0\n", still.Out);
    }

    [Fact]
    public async Task DescribeAOneVoterQuorumShowsItAsLeaderCaughtUp()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ko-admin-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var controllerPort = FreePort();
        try
        {
            await using (var host = await BrokerHost.StartAsync(BrokerConfig.Create(new Dictionary<string, string>
            {
                ["node.id"] = "0",
                ["process.roles"] = "broker,controller",
                ["controller.quorum.voters"] = $"0@127.0.0.1:{controllerPort}",
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = $"PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{controllerPort}",
                ["advertised.listeners"] = "PLAINTEXT://127.0.0.1:0",
                ["metrics.port"] = "-1",
                ["log.dirs"] = dir,
            })))
            {
                var bootstrap = $"127.0.0.1:{host.Port}";
                var table = await Cli.RunAsync(bootstrap, "quorum", "describe");
                Assert.True(table.ExitCode == 0, table.ToString());
                Assert.Matches(@"^Leader: 0   Epoch: [1-9][0-9]*   HighWatermark: [1-9][0-9]*   MaxLag: 0   Voters: 1   Observers: 0\n", table.Out);
                Assert.Matches(@"(?m)^   0  leader\s+[0-9]+\s+0\s+[0-9]+ ms ago\s+[0-9]+ ms ago$", table.Out);

                var json = await Cli.RunAsync(bootstrap, "quorum", "describe", "-o", "json");
                Assert.True(json.ExitCode == 0, json.ToString());
                var root = JsonDocument.Parse(json.Out).RootElement;
                Assert.Equal(0, root.GetProperty("leaderId").GetInt32());
                Assert.True(root.GetProperty("highWatermark").GetInt64() > 0);
                var voter = Assert.Single(root.GetProperty("voters").EnumerateArray());
                Assert.Equal(0, voter.GetProperty("lag").GetInt64());
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
