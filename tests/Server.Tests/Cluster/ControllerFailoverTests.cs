using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// The metadata quorum across real broker processes: the active controller dies and another takes over with the
/// metadata intact, the dead one catches up when it returns, and a broker that stops cleanly fences itself at once.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class ControllerFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_killed_controller_is_replaced_and_catches_up_when_it_returns()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["broker.session.timeout.ms"] = "3000",
            ["broker.heartbeat.interval.ms"] = "500",
        });
        await using var first = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        var before = await WaitForAsync(() => first.DescribeClusterAsync(), d => d.Brokers.Count == 3 && d.ControllerId >= 0, "a controller");
        var controller = before.ControllerId;
        await CreateAsync(first, "before-failover");

        cluster.Brokers[controller].Kill();
        var survivor = cluster.Brokers[(controller + 1) % 3];
        await using var admin = await KafkaAdminClient.ConnectAsync(survivor.BootstrapServers);
        var after = await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.ControllerId >= 0 && d.ControllerId != controller, "a new controller");
        Assert.NotEqual(controller, after.ControllerId);

        // The new controller has the old metadata and takes changes.
        await CreateAsync(admin, "after-failover");
        var other = cluster.Brokers[(controller + 2) % 3];
        await using (var client = await KafkaCluster.ConnectAsync(other.BootstrapServers))
        {
            await WaitForAsync(() => client.GetTopicAsync("after-failover", refresh: true), t => t.Partitions.Count == 3, "the new topic on the third broker");
            Assert.Equal(3, (await client.GetTopicAsync("before-failover", refresh: true)).Partitions.Count);
        }

        // The old controller returns as a follower and learns what was committed while it was down.
        await cluster.Brokers[controller].RestartAsync();
        await using var back = await KafkaCluster.ConnectAsync(cluster.Brokers[controller].BootstrapServers);
        var topic = await WaitForAsync(() => back.GetTopicAsync("after-failover", refresh: true), t => t.Partitions.All(p => p.LeaderId >= 0), "the topic seen by the returned broker");
        Assert.Equal(3, topic.Partitions.Count);
    }

    [Fact]
    public async Task A_broker_that_stops_cleanly_gives_up_its_partitions_at_once()
    {
        // A session far longer than the wait: only the stopping broker's own fence can take its leaderships away.
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["broker.session.timeout.ms"] = "600000",
        });
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three live brokers");
        await CreateAsync(admin, "clean-stop", partitions: 6);

        Assert.Equal(0, await cluster.Brokers[2].StopAsync());

        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        var topic = await WaitForAsync(() => client.GetTopicAsync("clean-stop", refresh: true), t => t.Partitions.All(p => p.LeaderId != 2), "broker 2's partitions without a leader");
        Assert.Equal(2, topic.Partitions.Count(p => p.LeaderId == -1));
        var described = await admin.DescribeClusterAsync();
        Assert.Equal([0, 1], described.Brokers.Select(b => b.NodeId).Order());
    }

    [Fact]
    public async Task A_controller_that_stops_cleanly_hands_over_at_once()
    {
        // Followers that would wait ten minutes for a silent leader: only the resigning leader's EndQuorumEpoch can
        // start the election within the test's deadline.
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["controller.quorum.fetch.timeout.ms"] = "600000",
        });
        await using var first = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        var controller = (await WaitForAsync(() => first.DescribeClusterAsync(), d => d.Brokers.Count == 3 && d.ControllerId >= 0, "a controller")).ControllerId;

        Assert.Equal(0, await cluster.Brokers[controller].StopAsync());

        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[(controller + 1) % 3].BootstrapServers);
        // The controller id is the quorum's leader, the broker list this broker's applied image: under load the
        // image may still lag the stopped broker's fence (committed before it resigned) when the new leader is known.
        var after = await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.ControllerId >= 0 && d.ControllerId != controller && d.Brokers.All(b => b.NodeId != controller), "a new controller, the stopped one fenced");
        await CreateAsync(admin, "after-handover");
        Assert.Equal(2, after.Brokers.Count);
    }

    [Fact]
    public async Task Cluster_default_configs_reach_every_broker_and_per_broker_configs_stay_with_their_broker()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output);
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three live brokers");

        var altered = await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [new ConfigResource(ConfigResourceType.Broker, "")] = [new ConfigAlteration("log.retention.ms", "123456")],
            [ConfigResource.Broker(1)] = [new ConfigAlteration("message.max.bytes", "2000000")],
        });
        Assert.All(altered, r => Assert.True(r.Succeeded, r.Error?.Message));

        // Broker resources are answered by the broker itself: each one reports what it applied.
        for (var id = 0; id < 3; id++)
        {
            var broker = id;
            var described = await WaitForAsync(async () => Assert.Single(await admin.DescribeConfigsAsync([ConfigResource.Broker(broker)])),
                r => r["log.retention.ms"]?.Value == "123456", $"the cluster default on broker {broker}");
            Assert.Equal(ConfigSource.DynamicDefaultBrokerConfig, described["log.retention.ms"]!.Source);
            Assert.Equal(broker == 1 ? "2000000" : "1048588", described["message.max.bytes"]!.Value);
        }

        // A broker that restarts loads both from the metadata log.
        Assert.Equal(0, await cluster.Brokers[2].StopAsync());
        await cluster.Brokers[2].RestartAsync();
        var restarted = Assert.Single(await admin.DescribeConfigsAsync([ConfigResource.Broker(2)]));
        Assert.Equal("123456", restarted["log.retention.ms"]!.Value);
        Assert.Equal("1048588", restarted["message.max.bytes"]!.Value);
    }

    private async Task CreateAsync(KafkaAdminClient admin, string name, int partitions = 3)
    {
        // NOT_CONTROLLER while an election is on: retried, as Kafka's admin clients do.
        var result = await WaitForAsync(async () => Assert.Single(await admin.CreateTopicsAsync([new NewTopic(name, partitions, 1)])),
            r => r.Error?.Code is null or ErrorCode.TopicAlreadyExists, $"creating {name}");
        output.WriteLine($"created {name}: {result.Error?.Code.ToString() ?? "ok"}");
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
