using System.Text.Json;

namespace KafkaOperator.Admin.Tests.EndToEnd;

/// <summary>`kafkactl reassign` against a single node (moves between brokers are tested on clusters in Server.Tests).</summary>
[Collection(BrokerCollection.Name)]
public class ReassignCommandTests(BrokerFixture broker)
{
    [Fact]
    public async Task OnASingleNodeOnlyAMoveToItselfIsValidAndNothingIsLeftInProgress()
    {
        var topic = "reassign-" + Guid.NewGuid().ToString("N")[..8];
        var created = await broker.RunAsync("topics", "create", topic, "-p", "2", "-r", "1");
        Assert.True(created.ExitCode == 0, created.ToString());
        var dir = Path.Combine(Path.GetTempPath(), "ko-admin-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var self = Path.Combine(dir, "self.json");
            await File.WriteAllTextAsync(self, $$"""{"version":1,"partitions":[{"topic":"{{topic}}","partition":0,"replicas":[{{broker.Host.NodeId}}]}]}""");
            var executed = await broker.RunAsync("reassign", "execute", "--plan", self, "--throttle", "1000000");
            Assert.True(executed.ExitCode == 0, executed.ToString());
            Assert.Contains("started", executed.Out, StringComparison.Ordinal);

            var status = await broker.RunAsync("reassign", "status", "--plan", self, "-o", "json");
            Assert.True(status.ExitCode == 0, status.ToString());
            var root = JsonDocument.Parse(status.Out).RootElement;
            Assert.Equal(1, root.GetProperty("done").GetInt32());
            Assert.True(root.GetProperty("throttlesRemoved").GetBoolean());
            var config = await broker.RunAsync("topics", "describe", topic, "-o", "json");
            Assert.DoesNotContain("throttled.replicas", config.Out, StringComparison.Ordinal);

            var elsewhere = Path.Combine(dir, "elsewhere.json");
            await File.WriteAllTextAsync(elsewhere, $$"""{"version":1,"partitions":[{"topic":"{{topic}}","partition":1,"replicas":[7]},{"topic":"{{topic}}","partition":9,"replicas":[{{broker.Host.NodeId}}]}]}""");
            var refused = await broker.RunAsync("reassign", "execute", "--plan", elsewhere, "-o", "json");
            Assert.Equal(1, refused.ExitCode);
            var rows = JsonDocument.Parse(refused.Out).RootElement.GetProperty("partitions");
            Assert.Equal("InvalidReplicaAssignment", rows[0].GetProperty("result").GetString());
            Assert.Equal("UnknownTopicOrPartition", rows[1].GetProperty("result").GetString());

            var cancel = await broker.RunAsync("reassign", "cancel");
            Assert.True(cancel.ExitCode == 0, cancel.ToString());
            Assert.Contains("No reassignment in progress.", cancel.Out, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
