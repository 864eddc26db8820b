using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// A clean stop finishes whatever the quorum does: the controlled-shutdown steps that need the quorum are bounded
/// and their failures logged, and the logs are still flushed and checkpointed.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class CleanStopTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_broker_whose_quorum_is_gone_still_stops_cleanly_and_writes_its_checkpoints()
    {
        // A request timeout longer than the shutdown's own bound: the fence proposal waits until shutdown gives up
        // on it, which is when the hand-over step used to be cancelled outside any catch.
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["controller.quorum.request.timeout.ms"] = "30000",
        });
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
        {
            await Eventually.WaitForAsync(output, Deadline, () => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three live brokers");
            await Eventually.WaitForAsync(output, Deadline, async () => Assert.Single(await admin.CreateTopicsAsync([new NewTopic("quorum-lost", 6, 1)])),
                r => r.Error?.Code is null or ErrorCode.TopicAlreadyExists, "creating quorum-lost");
        }
        var last = cluster.Brokers[2];
        await using (var client = await KafkaCluster.ConnectAsync(last.BootstrapServers))
        {
            await Eventually.WaitForAsync(output, Deadline, () => client.GetTopicAsync("quorum-lost", refresh: true),
                t => t.Partitions.Count == 6 && t.Partitions.All(p => p.LeaderId >= 0), "quorum-lost on broker 2");
        }

        cluster.Brokers[0].Kill();
        cluster.Brokers[1].Kill();
        Assert.Equal(0, await last.StopAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains("could not move this broker's leaderships first", last.Log, StringComparison.Ordinal);
        Assert.Contains("shut down cleanly", last.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", last.Log, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(last.DataDir, ".kafka_cleanshutdown")), "clean shutdown marker");
        var recoveryPoints = await File.ReadAllTextAsync(Path.Combine(last.DataDir, "recovery-point-offset-checkpoint"));
        Assert.Contains("quorum-lost ", recoveryPoints, StringComparison.Ordinal);
    }
}
