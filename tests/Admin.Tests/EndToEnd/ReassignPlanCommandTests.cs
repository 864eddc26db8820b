using System.Text.Json;

namespace KafkaOperator.Admin.Tests.EndToEnd;

[Collection(BrokerCollection.Name)]
public class ReassignPlanCommandTests(BrokerFixture broker)
{
    [Fact]
    public async Task A_single_broker_has_nothing_to_move_and_cannot_be_emptied()
    {
        Assert.Equal(0, (await broker.RunAsync("topics", "create", "plan-topic", "--partitions", "3")).ExitCode);

        var table = await broker.RunAsync("reassign", "plan");
        var json = await broker.RunAsync("reassign", "plan", "-o", "json");
        var file = Path.Combine(Path.GetTempPath(), $"plan-{Guid.NewGuid():N}.json");
        var toFile = await broker.RunAsync("reassign", "plan", "--output-file", file);
        var remove = await broker.RunAsync("reassign", "plan", "--remove-brokers", "0");
        var unknown = await broker.RunAsync("reassign", "plan", "--add-brokers", "7");
        var bad = await broker.RunAsync("reassign", "plan", "--add-brokers", "seven");

        Assert.Equal(0, table.ExitCode);
        Assert.Contains("Replica moves: 0", table.Out, StringComparison.Ordinal);
        Assert.Contains("{\"version\":1,\"partitions\":[]}", table.Out, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(json.Out))
        {
            Assert.Equal(1, document.RootElement.GetProperty("reassignment").GetProperty("version").GetInt32());
            Assert.Equal(0, document.RootElement.GetProperty("replicaMoves").GetInt32());
            Assert.Equal(0, document.RootElement.GetProperty("brokers")[0].GetProperty("broker").GetInt32());
        }
        Assert.Equal(0, toFile.ExitCode);
        Assert.Equal("{\"version\":1,\"partitions\":[]}\n", await File.ReadAllTextAsync(file));
        File.Delete(file);
        Cli.AssertCleanFailure(remove, "only 0 broker(s) would be left");
        Cli.AssertCleanFailure(unknown, "Broker 7 to add is not among the brokers");
        Cli.AssertCleanFailure(bad, "comma-separated broker ids");
    }
}
