using System.Globalization;
using System.Text.Json;
using KafkaOperator.Client.Admin;
using KafkaOperator.Server;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>
/// `cluster balance` and `leaders elect --preferred` on three in-process brokers (combined mode) with automatic
/// rebalancing off: a broker stopped and started again is back in every ISR but leads nothing, the balance shows its
/// imbalance, and a preferred election gives its partitions back.
/// </summary>
public sealed class ClusterLeaderCommandTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ko-admin-tests", Guid.NewGuid().ToString("N"));
    private readonly List<BrokerConfig> _configs = [];
    private readonly BrokerHost?[] _hosts = new BrokerHost?[3];

    private string Bootstrap => string.Join(',', _hosts.Where(h => h is not null).Select(h => $"127.0.0.1:{h!.Port}"));

    public async Task InitializeAsync()
    {
        // One call for both listeners' ports: two calls could hand out the same released port twice.
        var free = KafkaOperator.Server.Tests.Infrastructure.LoopbackPorts.Free(2 * 3);
        var kafkaPorts = free[..3];
        var controllerPorts = free[3..];
        var voters = string.Join(',', Enumerable.Range(0, 3).Select(i => $"{i}@127.0.0.1:{controllerPorts[i]}"));
        for (var i = 0; i < 3; i++)
        {
            var id = i.ToString(CultureInfo.InvariantCulture);
            _configs.Add(BrokerConfig.Create(new Dictionary<string, string>
            {
                ["node.id"] = id,
                ["process.roles"] = "broker,controller",
                ["controller.quorum.voters"] = voters,
                ["controller.listener.names"] = "CONTROLLER",
                ["listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]},CONTROLLER://127.0.0.1:{controllerPorts[i]}",
                ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{kafkaPorts[i]}",
                ["log.dirs"] = Path.Combine(_root, id),
                ["broker.session.timeout.ms"] = "3000",
                ["broker.heartbeat.interval.ms"] = "500",
                ["auto.leader.rebalance.enable"] = "false",
                ["leader.imbalance.check.interval.seconds"] = "1",
                ["metrics.port"] = "-1",
            }));
        }

        var started = await Task.WhenAll(_configs.Select(c => BrokerHost.StartAsync(c)));
        started.CopyTo(_hosts, 0);
    }

    [Fact]
    public async Task A_restarted_broker_shows_its_imbalance_until_a_preferred_election_gives_its_leaders_back()
    {
        const string Topic = "spread";
        var created = await Cli.RunAsync(Bootstrap, "topics", "create", Topic, "-p", "3", "-r", "3");
        Assert.True(created.ExitCode == 0, created.ToString());
        await WaitForAsync(Topic, p => p.Isr.Count == 3 && p.LeaderId == p.Replicas[0], "every partition in sync and led by its preferred replica");

        const int Restarted = 1;
        await _hosts[Restarted]!.DisposeAsync();
        _hosts[Restarted] = null;
        await WaitForAsync(Topic, p => p.LeaderId >= 0 && p.LeaderId != Restarted, "leaders off the stopped broker");
        _hosts[Restarted] = await BrokerHost.StartAsync(_configs[Restarted]);
        var back = await WaitForAsync(Topic, p => p.Isr.Count == 3, "the restarted broker back in every ISR");
        var preferredByRestarted = back.Partitions.Count(p => p.Replicas[0] == Restarted);
        Assert.True(preferredByRestarted > 0);

        var before = Broker(await RunJsonAsync("cluster", "balance", "-o", "json"), Restarted);
        Assert.Equal(0, before.GetProperty("leaders").GetInt32());
        Assert.Equal(100, before.GetProperty("imbalancePercent").GetDouble());
        Assert.True(before.GetProperty("aboveThreshold").GetBoolean());
        var table = await Cli.RunAsync(Bootstrap, "cluster", "balance");
        Assert.Contains("Auto leader rebalance: off (threshold 10 %)", table.Out, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^\s+{Restarted}\s+-\s+live\s+[0-9]+\s+0\s+{preferredByRestarted}\s+{preferredByRestarted}\s+100\.0 % \*", table.Out);

        var elected = await RunJsonAsync("leaders", "elect", "--preferred", Topic, "-o", "json");
        Assert.Equal(preferredByRestarted, elected.GetProperty("elected").GetInt32());
        Assert.Equal(3 - preferredByRestarted, elected.GetProperty("notNeeded").GetInt32());

        var after = Broker(await RunJsonAsync("cluster", "balance", "-o", "json"), Restarted);
        Assert.Equal(preferredByRestarted, after.GetProperty("leaders").GetInt32());
        Assert.Equal(0, after.GetProperty("imbalancePercent").GetDouble());
        var detail = await RunJsonAsync("topics", "describe", Topic, "-o", "json");
        Assert.All(detail.GetProperty("partitions").EnumerateArray(), p => Assert.True(p.GetProperty("preferredLeader").GetBoolean()));
    }

    private async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        var result = await Cli.RunAsync(Bootstrap, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement;
    }

    private static JsonElement Broker(JsonElement balance, int id) =>
        balance.GetProperty("brokers").EnumerateArray().Single(b => b.GetProperty("broker").GetInt32() == id);

    private async Task<TopicDescription> WaitForAsync(string topic, Func<KafkaOperator.Client.PartitionMetadata, bool> each, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        TopicDescription? last = null;
        while (DateTime.UtcNow < until)
        {
            await using (var admin = await KafkaAdminClient.ConnectAsync(Bootstrap))
            {
                last = await admin.DescribeTopicAsync(topic);
                if (last.Succeeded && last.Partitions.Count > 0 && last.Partitions.All(each))
                {
                    return last;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"timed out waiting for {what}; last: {string.Join("; ", last?.Partitions.Select(p => $"{p.Partition} leader {p.LeaderId} isr {string.Join(',', p.Isr)}") ?? [])}");
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp dir does not affect other tests.
        }
    }
}
