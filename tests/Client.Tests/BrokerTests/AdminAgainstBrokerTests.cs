using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Client.Tests.BrokerTests;

public class AdminAgainstBrokerTests
{
    [Fact]
    public async Task Topic_lifecycle_against_the_real_broker()
    {
        await using var broker = await InProcessBroker.StartAsync();
        await using var admin = await KafkaAdminClient.ConnectAsync(broker.ClientOptions);

        var cluster = await admin.DescribeClusterAsync();
        Assert.Equal(broker.Host.ClusterId, cluster.ClusterId);
        Assert.Equal([1], cluster.Brokers.Select(b => b.NodeId));

        var validated = await admin.CreateTopicsAsync([new NewTopic("orders", 3, 1)], validateOnly: true);
        Assert.True(validated[0].Succeeded, validated[0].Error?.Message);
        Assert.DoesNotContain("orders", (await admin.ListTopicsAsync()).Select(t => t.Name));

        var created = await admin.CreateTopicsAsync(
        [
            new NewTopic("orders", 3, 1) { Configs = { ["retention.ms"] = "3600000" } },
            new NewTopic("bad", 1, 5),
        ]);
        Assert.True(created[0].Succeeded, created[0].Error?.Message);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, created[1].Error?.Code);

        var again = await admin.CreateTopicAsync("orders", 3, 1);
        Assert.Equal(ErrorCode.TopicAlreadyExists, again.Error?.Code);

        var described = await admin.DescribeTopicAsync("orders");
        Assert.True(described.Succeeded);
        Assert.NotEqual(Guid.Empty, described.TopicId);
        Assert.Equal(3, described.Partitions.Count);
        Assert.All(described.Partitions, p => Assert.Equal(1, p.LeaderId));
        Assert.Equal(["orders"], (await admin.ListTopicsAsync()).Select(t => t.Name));

        var configs = await admin.DescribeTopicConfigsAsync("orders");
        Assert.True(configs.Succeeded, configs.Error?.Message);
        Assert.Equal("3600000", configs["retention.ms"]?.Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, configs["retention.ms"]?.Source);

        var altered = await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Topic("orders")] = [new("retention.ms", "7200000"), new("cleanup.policy", "compact")],
        });
        Assert.True(altered[0].Succeeded, altered[0].Error?.Message);
        var after = await admin.DescribeTopicConfigsAsync("orders");
        Assert.Equal("7200000", after["retention.ms"]?.Value);
        Assert.Equal("compact", after["cleanup.policy"]?.Value);

        var grown = await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["orders"] = 5 });
        Assert.True(grown[0].Succeeded, grown[0].Error?.Message);
        Assert.Equal(5, (await admin.DescribeTopicAsync("orders")).Partitions.Count);
        var shrink = await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["orders"] = 2 });
        Assert.Equal(ErrorCode.InvalidPartitions, shrink[0].Error?.Code);

        var deleted = await admin.DeleteTopicsAsync(["orders", "never-existed"]);
        Assert.True(deleted[0].Succeeded, deleted[0].Error?.Message);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, deleted[1].Error?.Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await admin.DescribeTopicAsync("orders")).Error?.Code);
    }
}
