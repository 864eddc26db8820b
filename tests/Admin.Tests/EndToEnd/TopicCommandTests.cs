using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Tests.EndToEnd;

[Collection(BrokerCollection.Name)]
public class TopicCommandTests(BrokerFixture broker)
{
    [Fact]
    public async Task CreateListDescribeAlterAddPartitionsDelete()
    {
        var topic = $"orders-{Guid.NewGuid():N}";

        var created = await broker.RunAsync("topics", "create", topic, "--partitions", "3", "--replication-factor", "1",
            "--config", "retention.ms=60000", "--config", "cleanup.policy=delete");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal($"Created topic {topic}.\n", created.Out);

        var list = await broker.RunAsync("topics", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Matches($@"(?m)^{topic}\s+3\s+no\s+[0-9a-f-]{{36}}$", list.Out);

        var listJson = await broker.RunAsync("topics", "list", "--output", "json");
        var listed = JsonDocument.Parse(listJson.Out).RootElement.EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == topic);
        Assert.Equal(3, listed.GetProperty("partitions").GetInt32());

        var end = await broker.ProduceAsync(topic, 1, 5);
        Assert.Equal(5, end);

        var describe = await broker.RunAsync("topics", "describe", topic, "-o", "json");
        Assert.True(describe.ExitCode == 0, describe.ToString());
        var detail = JsonDocument.Parse(describe.Out).RootElement;
        var partitions = detail.GetProperty("partitions");
        Assert.Equal(3, partitions.GetArrayLength());
        Assert.Equal(5, partitions[1].GetProperty("logEndOffset").GetInt64());
        Assert.Equal(0, partitions[1].GetProperty("logStartOffset").GetInt64());
        Assert.Equal(0, partitions[0].GetProperty("logEndOffset").GetInt64());
        Assert.Equal(broker.Host.NodeId, partitions[1].GetProperty("leader").GetInt32());
        Assert.Equal([broker.Host.NodeId], partitions[1].GetProperty("replicas").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal([broker.Host.NodeId], partitions[1].GetProperty("isr").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal(0, partitions[1].GetProperty("leaderEpoch").GetInt32());
        Assert.Equal(0, partitions[1].GetProperty("offline").GetArrayLength());
        Assert.Equal("60000", detail.GetProperty("configs").GetProperty("retention.ms").GetString());
        Assert.True(detail.GetProperty("sizesReported").GetBoolean());
        Assert.True(partitions[1].GetProperty("sizeBytes").GetInt64() > 0);
        Assert.Equal(0, partitions[0].GetProperty("sizeBytes").GetInt64());
        Assert.True(partitions[1].GetProperty("preferredLeader").GetBoolean());

        var table = await broker.RunAsync("topics", "describe", topic);
        Assert.Matches(@"(?m)^PARTITION\s+LEADER\s+PREFERRED\s+EPOCH\s+REPLICAS\s+ISR\s+OFFLINE\s+LOG-START\s+LOG-END\s+MESSAGES\s+SIZE$", table.Out);
        Assert.Matches(@"(?m)^\s+1\s+0\s+yes\s+0\s+0\s+0\s+-\s+0\s+5\s+5\s+[0-9]+ B$", table.Out);
        Assert.DoesNotContain("SIZE:", table.Out, StringComparison.Ordinal);

        var altered = await broker.RunAsync("topics", "alter-config", topic, "--set", "retention.ms=120000",
            "--set", "max.message.bytes=2048", "--delete", "cleanup.policy");
        Assert.True(altered.ExitCode == 0, altered.ToString());
        await using (var admin = await KafkaAdminClient.ConnectAsync(broker.ClientOptions()))
        {
            var configs = await admin.DescribeTopicConfigsAsync(topic);
            Assert.Equal("120000", configs["retention.ms"]!.Value);
            Assert.Equal("2048", configs["max.message.bytes"]!.Value);
            Assert.NotEqual(ConfigSource.DynamicTopicConfig, configs["cleanup.policy"]!.Source);
        }

        var grown = await broker.RunAsync("topics", "add-partitions", topic, "--partitions", "5");
        Assert.True(grown.ExitCode == 0, grown.ToString());
        var described = JsonDocument.Parse((await broker.RunAsync("topics", "describe", topic, "-o", "json")).Out).RootElement;
        Assert.Equal(5, described.GetProperty("partitions").GetArrayLength());

        var deleted = await broker.RunAsync("topics", "delete", topic);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain(topic, (await broker.RunAsync("topics", "list")).Out, StringComparison.Ordinal);
        Cli.AssertCleanFailure(await broker.RunAsync("topics", "describe", topic), "does not exist");
    }

    [Fact]
    public async Task UnderReplicatedAndUnavailableFindNothingOnAHealthyBroker()
    {
        var topic = $"healthy-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "--partitions", "2")).ExitCode);

        foreach (var args in new[] { new[] { "--under-replicated" }, ["--under-replicated", topic], ["--unavailable"], [topic, "--unavailable"] })
        {
            var table = await broker.RunAsync(["topics", "describe", .. args]);
            Assert.True(table.ExitCode == 0, table.ToString());
            Assert.Matches(@"^No (under-replicated|unavailable) partitions\.\n$", table.Out);

            var json = await broker.RunAsync(["topics", "describe", .. args, "-o", "json"]);
            Assert.True(json.ExitCode == 0, json.ToString());
            Assert.Equal(0, JsonDocument.Parse(json.Out).RootElement.GetArrayLength());
        }

        Cli.AssertCleanFailure(await broker.RunAsync("topics", "describe", $"missing-{Guid.NewGuid():N}", "--under-replicated"), "does not exist");
        var nothing = await broker.RunAsync("topics", "describe");
        Cli.AssertCleanFailure(nothing, "give a topic");
        Assert.Equal(ExitCodes.Usage, nothing.ExitCode);
        var both = await broker.RunAsync("topics", "describe", "--under-replicated", "--unavailable");
        Cli.AssertCleanFailure(both, "cannot be combined");
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
    }

    [Fact]
    public async Task BrokerRefusalsAreCleanErrors()
    {
        var topic = $"dup-{Guid.NewGuid():N}";
        Assert.Equal(0, (await broker.RunAsync("topics", "create", topic, "--partitions", "2")).ExitCode);

        var again = await broker.RunAsync("topics", "create", topic, "--partitions", "2");
        Cli.AssertCleanFailure(again, "TopicAlreadyExists");
        Assert.Equal(ExitCodes.Failed, again.ExitCode);

        Cli.AssertCleanFailure(await broker.RunAsync("topics", "add-partitions", topic, "--partitions", "1"), "InvalidPartitions");
        Cli.AssertCleanFailure(await broker.RunAsync("topics", "delete", $"missing-{Guid.NewGuid():N}"), "UnknownTopicOrPartition");

        var json = await broker.RunAsync("topics", "create", topic, "-o", "json");
        Assert.Equal(ExitCodes.Failed, json.ExitCode);
        var operation = JsonDocument.Parse(json.Out).RootElement;
        Assert.False(operation.GetProperty("succeeded").GetBoolean());
        Assert.Contains("TopicAlreadyExists", operation.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootstrapComesFromTheEnvironmentWhenNotGiven()
    {
        var result = await Cli.RunAsync(broker.Bootstrap, "topics", "list", "-o", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(result.Out).RootElement.ValueKind);

        var overridden = await Cli.RunAsync("127.0.0.1:1", "topics", "list", "--bootstrap-server", broker.Bootstrap);
        Assert.True(overridden.ExitCode == 0, overridden.ToString());
    }
}
