using System.Globalization;
using KafkaOperator.Client.Network;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClientGroups;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>A 3-broker cluster whose topics (and __consumer_offsets) have three replicas, shared by the tests below.</summary>
public sealed class ReplicatedClusterFixture : IAsyncLifetime
{
    private BrokerCluster? _cluster;

    public BrokerCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cluster = await BrokerCluster.StartAsync(3, null, new Dictionary<string, string>
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        ["num.partitions"] = "6",
        ["auto.create.topics.enable"] = "true",
        ["default.replication.factor"] = "3",
        ["offsets.topic.replication.factor"] = "3",
        ["min.insync.replicas"] = "2",
        ["group.initial.rebalance.delay.ms"] = "0",
    });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary>
/// Every real client the project tests, on RF 3 topics of a 3-broker cluster: each round trip reads back exactly
/// what it wrote, and a consumer group keeps reading and committing through a leader change of its topic and of
/// its coordinator's __consumer_offsets partition.
/// </summary>
// In the broker-clusters chain rather than the real-clients one: a 3-broker cluster with leader changes, and the two
// chains (which run side by side) come out closer in length, so the suite ends sooner.
[Collection(BrokerClustersCollection.Name)]
public sealed class ReplicatedClientTests(ReplicatedClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ReplicatedClusterFixture>
{
    private const int Records = 20_000;
    private static readonly Dictionary<string, string> Rf3 = new() { ["TEST_REPLICATION_FACTOR"] = "3" };

    [Theory]
    [InlineData("kcat_roundtrip.py")]
    [InlineData("kafka_python_roundtrip.py")]
    [InlineData("confluent_roundtrip.py")]
    [InlineData("kafkajs_roundtrip.js")]
    [InlineData("confluent_roundtrip.js")]
    public async Task Round_trips_on_a_replicated_topic(string script)
    {
        var node = script.EndsWith(".js", StringComparison.Ordinal);
        if (script.StartsWith("kcat", StringComparison.Ordinal))
            RepoPaths.RequireTool("kcat", "kafkacat");
        if (script == "kafkajs_roundtrip.js")
            RepoPaths.RequireNodeModule("kafkajs");
        if (script == "confluent_roundtrip.js")
            RepoPaths.RequireNodeModule("@confluentinc/kafka-javascript");
        var tool = node ? RepoPaths.RequireTool("node") : RepoPaths.RequirePython();
        var path = Path.Combine(node ? RepoPaths.NodeDir : RepoPaths.PythonDir, script);
        var result = await ClientScript.RunAsync(tool, [path, fixture.Cluster.BootstrapServers, "gzip", Records.ToString(CultureInfo.InvariantCulture)],
            RoundTrip.ScriptTimeout, output, environment: Rf3);
        var summary = result.RequireSummary();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summary.GetRawText());
        var run = summary.GetProperty("results").EnumerateArray().First();
        Assert.Equal(run.GetProperty("produced").GetInt32(), run.GetProperty("consumed").GetInt32());
        Assert.Equal(0, run.GetProperty("error_count").GetInt32());
        var topic = run.GetProperty("topic").GetString()!;
        await using var client = await KafkaCluster.ConnectAsync(fixture.Cluster.BootstrapServers);
        var meta = await client.GetTopicAsync(topic, refresh: true);
        Assert.All(meta.Partitions, p => Assert.Equal(3, p.Replicas.Count));
    }

    [Fact]
    public async Task A_group_reads_and_commits_through_leader_changes_of_its_topic_and_its_coordinator()
    {
        var cluster = fixture.Cluster;
        using var s = new GroupScenario(cluster.BootstrapServers, () => string.Join("\n", cluster.Brokers.Select(b => b.Log)), output,
            "replicated-" + Guid.NewGuid().ToString("N")[..8])
        { ReplicationFactor = 3 };
        await s.ProduceAsync(3000, create: true);
        GroupMemberProcess[] members = [s.StartPython("a"), s.StartPython("b")];
        await s.WaitForBalancedAsync(members, also: () => members.All(m => m.Assignment.Count == 3));
        await s.WaitForAllReadAsync();

        // A clean stop of every broker in turn moves the leaderships of the topic and of __consumer_offsets (the
        // coordinator with them) while the members read and commit.
        await using var client = await KafkaCluster.ConnectAsync(cluster.BootstrapServers);
        foreach (var broker in cluster.Brokers)
        {
            await s.ProduceAsync(1000);
            Assert.Equal(0, await broker.StopAsync(TimeSpan.FromSeconds(30)));
            await s.ProduceAsync(1000);
            await s.WaitForAllReadAsync();
            await broker.RestartAsync();
            await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), () => client.RefreshMetadataAsync([s.Topic, "__consumer_offsets"]),
                m => m.Topics.Values.All(t => t.Partitions.All(p => p.Isr.Count == 3)), "every partition back to a full ISR");
        }

        await s.ProduceAsync(1000);
        await s.WaitForAllReadAsync();
        await s.StopAllAsync();
        s.AssertExactlyEverythingRead();
    }
}
