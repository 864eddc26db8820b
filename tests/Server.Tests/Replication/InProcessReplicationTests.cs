using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>Three brokers in this process: followers' logs, HWs and the leader's view of them, read directly.</summary>
public sealed class InProcessReplicationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Followers_copy_the_leader_and_the_high_watermark_follows_the_isr()
    {
        await using var cluster = await InProcessCluster.StartAsync(3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using (var admin = await KafkaAdminClient.ConnectAsync(bootstrap))
            (await admin.CreateTopicsAsync([new NewTopic("copied", 1, 3)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(bootstrap);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("copied", refresh: true),
            t => t.Partitions.Single().Isr.Count == 3, "the topic on every broker");
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1, AckTimeout = TimeSpan.FromSeconds(10) }))
        {
            for (var i = 0; i < 20; i++)
                await producer.ProduceAsync("copied", 0, null, [(byte)i]);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && !cluster.Hosts.All(h => h.Services.Replicas.GetHosted("copied", 0)?.HighWatermark == 20))
            await Task.Delay(20);
        foreach (var h in cluster.Hosts)
        {
            var p = h.Services.Replicas.GetHosted("copied", 0);
            output.WriteLine($"broker {h.NodeId}: role {p?.Role} LEO {p?.LogEndOffset} HW {p?.HighWatermark}");
        }
        Assert.All(cluster.Hosts, h => Assert.Equal(20, h.Services.Replicas.GetHosted("copied", 0)!.LogEndOffset));
        Assert.All(cluster.Hosts, h => Assert.Equal(20, h.Services.Replicas.GetHosted("copied", 0)!.HighWatermark));
    }
}
