using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>A fenced broker's replicas are reported offline, alike by DescribeTopicPartitions and Metadata, by every live broker.</summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class OfflineReplicaTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_killed_brokers_replicas_are_offline_until_it_returns()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["broker.session.timeout.ms"] = "3000",
            ["broker.heartbeat.interval.ms"] = "500",
        });
        const string Topic = "placed";
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        (await admin.CreateTopicsAsync([new NewTopic(Topic, 6, 1)])).ThrowIfAnyFailed();
        var placed = await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Succeeded && t.Partitions.Count == 6, "the topic");
        Assert.All(placed.Partitions, p => Assert.Empty(p.OfflineReplicas));
        var onBroker2 = placed.Partitions.Where(p => p.Replicas.Contains(2)).Select(p => p.Partition).ToList();
        Assert.NotEmpty(onBroker2);

        cluster.Brokers[2].Kill();
        var fenced = await WaitForAsync(() => admin.DescribeTopicAsync(Topic),
            t => t.Succeeded && onBroker2.All(p => t.Partitions[p].OfflineReplicas.SequenceEqual([2])), "broker 2's replicas offline");
        Assert.All(fenced.Partitions.Where(p => !onBroker2.Contains(p.Partition)), p => Assert.Empty(p.OfflineReplicas));
        Assert.All(onBroker2, p => Assert.Equal(-1, fenced.Partitions[p].LeaderId));

        // The other live broker says the same, through Metadata too.
        await using var other = await KafkaCluster.ConnectAsync(cluster.Brokers[1].BootstrapServers);
        Assert.True((await other.GetAnyConnectionAsync()).SupportsApi(ApiKey.DescribeTopicPartitions));
        var metadata = await WaitForAsync(() => other.GetTopicAsync(Topic, refresh: true),
            t => onBroker2.All(p => t.Partitions[p].OfflineReplicas.SequenceEqual([2])), "broker 2's replicas offline in Metadata");
        Assert.Equal(fenced.Partitions.Select(p => (p.LeaderId, string.Join(',', p.OfflineReplicas))),
            metadata.Partitions.Select(p => (p.LeaderId, string.Join(',', p.OfflineReplicas))));

        await cluster.Brokers[2].RestartAsync();
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic),
            t => t.Succeeded && t.Partitions.All(p => p.OfflineReplicas.Count == 0 && p.LeaderId >= 0), "every replica back online");
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
