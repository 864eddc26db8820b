using System.Globalization;
using System.Text;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// Three broker processes in combined mode (each also a metadata quorum voter), as a 3-broker KafkaCluster runs
/// them: one cluster id, one controller, topics placed across the brokers, clients served through any of them,
/// and a killed broker that comes back with its data.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class ThreeBrokerClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["num.partitions"] = "6",
        ["auto.create.topics.enable"] = "true",
        // Short, so that fencing a killed broker takes seconds rather than Kafka's 9 s.
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
    };

    [Fact]
    public async Task Brokers_form_one_cluster_and_kcat_round_trips_across_them()
    {
        RepoPaths.RequireTool("kcat", "kafkacat");
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);

        var views = new List<ClusterDescription>();
        foreach (var broker in cluster.Brokers)
        {
            await using var admin = await KafkaAdminClient.ConnectAsync(broker.BootstrapServers);
            views.Add(await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three live brokers"));
        }
        Assert.Single(views.Select(v => v.ClusterId).Distinct());
        Assert.Single(views.Select(v => v.ControllerId).Distinct());
        Assert.InRange(views[0].ControllerId, 0, 2);
        Assert.Equal([0, 1, 2], views[0].Brokers.Select(b => b.NodeId).Order());

        // kcat bootstraps from one broker only and must find the others through Metadata.
        var summary = await RoundTrip.RunAsync(cluster.Brokers[2], output, RepoPaths.RequirePython(),
            Path.Combine(RepoPaths.PythonDir, "kcat_roundtrip.py"), cluster.Brokers[2].BootstrapServers, "none", "20000");
        var run = RoundTrip.SingleResult(summary, 21_000);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(3, summary.GetProperty("brokers").GetArrayLength());

        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        var topic = await client.GetTopicAsync(run.GetProperty("topic").GetString()!, refresh: true);
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.LeaderId).Distinct().Order());
    }

    [Fact]
    public async Task A_killed_broker_is_fenced_and_returns_with_its_data()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        const string Topic = "failover";
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
        {
            var created = await admin.CreateTopicsAsync([new NewTopic(Topic, 6, 1)]);
            created.ThrowIfAnyFailed();
            var rf4 = Assert.Single(await admin.CreateTopicsAsync([new NewTopic("too-many-replicas", 3, 4)]));
            Assert.Equal(ErrorCode.InvalidReplicationFactor, rf4.Error?.Code);
            Assert.Contains("replication factor of 4 cannot be reached because only 3 broker(s)", rf4.Error?.Message, StringComparison.Ordinal);
        }

        // Created through broker 0, visible through broker 2.
        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[2].BootstrapServers);
        var placed = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true), t => t.Partitions.Count == 6, "the topic on broker 2");
        Assert.Equal([0, 1, 2], placed.Partitions.Select(p => p.LeaderId).Distinct().Order());

        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            for (var p = 0; p < 6; p++)
            {
                for (var i = 0; i < 100; i++)
                    producer.Produce(Topic, p, default, true, Encoding.UTF8.GetBytes($"before-{p}-{i}"));
            }
            await producer.FlushAsync();
        }

        cluster.Brokers[1].Kill();
        var onBroker1 = placed.Partitions.Where(p => p.LeaderId == 1).Select(p => p.Partition).ToList();
        Assert.NotEmpty(onBroker1);
        var fenced = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => onBroker1.All(p => t.Partition(p)!.LeaderId == -1), "broker 1's partitions without a leader");
        Assert.All(fenced.Partitions.Where(p => !onBroker1.Contains(p.Partition)), p => Assert.NotEqual(-1, p.LeaderId));

        // The partitions of the live brokers keep taking writes.
        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            foreach (var p in fenced.Partitions.Where(p => p.LeaderId >= 0))
                await producer.ProduceAsync(Topic, p.Partition, null, Encoding.UTF8.GetBytes($"during-{p.Partition}"));
        }

        await cluster.Brokers[1].RestartAsync();
        var back = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.All(p => p.LeaderId >= 0), "every partition led again");
        Assert.All(onBroker1, p => Assert.Equal(1, back.Partition(p)!.LeaderId));

        await using var consumer = new KafkaConsumer(client);
        await consumer.AssignTopicAsync(Topic);
        var values = new List<string>();
        using var cts = new CancellationTokenSource(Deadline);
        var expected = 600 + (6 - onBroker1.Count);
        while (values.Count < expected)
        {
            foreach (var r in await consumer.FetchAsync(cts.Token))
                values.Add(Encoding.UTF8.GetString(r.Value!));
        }
        Assert.Equal(expected, values.Count);
        for (var p = 0; p < 6; p++)
        {
            for (var i = 0; i < 100; i++)
                Assert.Contains($"before-{p}-{i}", values);
        }
    }

    [Fact]
    public async Task A_consumer_group_finds_its_coordinator_on_any_broker_and_commits_everything()
    {
        RepoPaths.RequireTool("kcat", "kafkacat");
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        const string Topic = "grouped";
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[1].BootstrapServers))
            (await admin.CreateTopicsAsync([new NewTopic(Topic, 6, 1)])).ThrowIfAnyFailed();
        await using (var client = await KafkaCluster.ConnectAsync(cluster.Brokers[1].BootstrapServers))
        {
            await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true), t => t.Partitions.Count == 6, "the topic");
            await using var producer = await KafkaProducer.CreateAsync(client);
            for (var i = 0; i < 600; i++)
                producer.Produce(Topic, i % 6, default, true, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)));
            await producer.FlushAsync();
        }

        // __consumer_offsets is spread over the brokers too: the group's coordinator is whichever leads its partition.
        var result = await ClientScript.RunAsync(RepoPaths.RequirePython(),
            [Path.Combine(RepoPaths.PythonDir, "groups_kcat.py"), cluster.Brokers[0].BootstrapServers, Topic, "cluster-group", "6"],
            TimeSpan.FromSeconds(90), output);
        var summary = result.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        for (var p = 0; p < 6; p++)
            Assert.Equal(100, summary.GetProperty("committed").GetProperty(p.ToString(CultureInfo.InvariantCulture)).GetInt64());

        await using var offsets = await KafkaCluster.ConnectAsync(cluster.Brokers[2].BootstrapServers);
        var internalTopic = await offsets.GetTopicAsync("__consumer_offsets", refresh: true);
        Assert.Equal([0, 1, 2], internalTopic.Partitions.Select(p => p.LeaderId).Distinct().Order());
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
