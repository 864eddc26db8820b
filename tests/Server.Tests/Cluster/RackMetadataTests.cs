using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>Three broker processes with broker.rack: Metadata and DescribeCluster report the racks, and a new topic spans them.</summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class RackMetadataTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Metadata_reports_each_brokers_rack_and_new_partitions_span_both_racks()
    {
        var racks = new[] { "eu-1a", "eu-1b", "eu-1b" };
        await using var cluster = await BrokerCluster.StartAsync(3, output, perBroker: i => new Dictionary<string, string> { ["broker.rack"] = racks[i] });
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers);
        var described = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three registered brokers");
        Assert.Equal(racks, described.Brokers.OrderBy(b => b.NodeId).Select(b => b.Rack));
        Assert.True((await admin.CreateTopicAsync("racked", 6, 2)).Succeeded);

        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[1].BootstrapServers);
        var metadata = await client.RefreshMetadataAsync(["racked"]);
        Assert.Equal(racks, metadata.Brokers.OrderBy(b => b.NodeId).Select(b => b.Rack));
        var topic = await client.GetTopicAsync("racked", refresh: true);
        Assert.Equal(6, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(2, p.Replicas.Select(r => racks[r]).Distinct().Count()));
    }
}
