using System.Text.Json;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>`leaders elect` and `cluster balance` against the shared single broker: nothing to elect, bad input refused.</summary>
[Collection(BrokerCollection.Name)]
public class LeaderCommandTests(BrokerFixture broker)
{
    [Fact]
    public async Task Preferred_election_on_a_single_broker_is_never_needed()
    {
        var topic = $"elect-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "-p", "2")).ExitCode);

        var table = await broker.RunAsync("leaders", "elect", "--preferred", topic);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches($@"(?m)^{topic}\s+1\s+ELECTION_NOT_NEEDED\s+", table.Out);
        Assert.EndsWith("preferred election: 0 elected, 2 not needed, 0 failed.\n", table.Out, StringComparison.Ordinal);

        var json = await broker.RunAsync("leaders", "elect", "--unclean", $"{topic}:0", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var report = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("unclean", report.GetProperty("electionType").GetString());
        Assert.Equal("ELECTION_NOT_NEEDED", report.GetProperty("partitions").EnumerateArray().Single().GetProperty("result").GetString());

        // Every partition of the cluster: the broker leaves out those that need no election.
        var all = await broker.RunAsync("leaders", "elect", "--preferred");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal("preferred election: 0 elected, 0 not needed, 0 failed.\n", all.Out);
    }

    [Fact]
    public async Task An_election_for_an_unknown_partition_fails_with_unknown_topic_or_partition()
    {
        var topic = $"elect-bad-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "-p", "1")).ExitCode);

        var result = await broker.RunAsync("leaders", "elect", "--preferred", $"{topic}:5", $"{topic}:0", $"missing-{Guid.NewGuid():N}:0");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"(?m)^{topic}\s+5\s+UNKNOWN_TOPIC_OR_PARTITION\s+No such partition as {topic}-5$", result.Out);
        Assert.Matches($@"(?m)^missing-[0-9a-f]+\s+0\s+UNKNOWN_TOPIC_OR_PARTITION\s+No such topic as missing-", result.Out);
        Assert.Contains("0 elected, 1 not needed, 2 failed.", result.Out, StringComparison.Ordinal);

        Cli.AssertCleanFailure(await broker.RunAsync("leaders", "elect", $"{topic}:0"), "--preferred or --unclean");
        Cli.AssertCleanFailure(await broker.RunAsync("leaders", "elect", "--preferred", "--unclean"), "cannot be combined");
        Cli.AssertCleanFailure(await broker.RunAsync("leaders", "elect", "--preferred", $"{topic}:x"), "is not topic or topic:partition");
        Cli.AssertCleanFailure(await broker.RunAsync("leaders", "elect", "--preferred", $"missing-{Guid.NewGuid():N}"), "does not exist");
    }

    [Fact]
    public async Task Balance_of_a_single_broker_has_everything_on_it_and_no_imbalance()
    {
        var topic = $"balance-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "-p", "3")).ExitCode);
        await broker.ProduceAsync(topic, 0, 10);

        var json = await broker.RunAsync("cluster", "balance", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.True(root.GetProperty("autoLeaderRebalance").GetBoolean());
        Assert.Equal(10, root.GetProperty("imbalanceThresholdPercent").GetInt32());
        var only = root.GetProperty("brokers").EnumerateArray().Single();
        Assert.Equal(broker.Host.NodeId, only.GetProperty("broker").GetInt32());
        Assert.Equal(root.GetProperty("partitions").GetInt32(), only.GetProperty("replicas").GetInt32());
        Assert.Equal(only.GetProperty("replicas").GetInt32(), only.GetProperty("leaders").GetInt32());
        Assert.Equal(0, only.GetProperty("imbalancePercent").GetDouble());
        Assert.True(only.GetProperty("bytes").GetInt64() > 0);

        var table = await broker.RunAsync("cluster", "balance");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"(?m)^BROKER\s+RACK\s+STATUS\s+REPLICAS\s+LEADERS\s+PREFERRED\s+LED-ELSEWHERE\s+IMBALANCE\s+SIZE$", table.Out);
        Assert.Matches(@"(?m)^\s+0\s+-\s+live\s+[0-9]+\s+[0-9]+\s+[0-9]+\s+0\s+0\.0 %\s+[0-9.]+ (B|KiB|MiB)$", table.Out);
    }
}
