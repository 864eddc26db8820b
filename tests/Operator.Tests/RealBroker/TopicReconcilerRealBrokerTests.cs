using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// The topic reconciler through the real Kafka protocol path: KafkaTopicAdmin (KafkaOperator.Client) against a real
/// broker process, with the KafkaCluster/KafkaTopic objects in the fake API server.
/// </summary>
public sealed class TopicReconcilerRealBrokerTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private BrokerProcess _broker = null!;
    private readonly KafkaTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private TopicReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync();
        _server = await FakeApiServer.StartAsync();
        _reconciler = new TopicReconciler(_server.Client, _admin, _events, NullLogger<TopicReconciler>.Instance);
        var cluster = Samples.Cluster("local", 1, Ns);
        cluster.Metadata.Uid = null;
        cluster = await _server.Client.CreateAsync(cluster);
        // Outside Kubernetes the bootstrap Service name does not resolve: point the status at the broker process.
        cluster.Status = new KafkaClusterStatus { BootstrapServers = _broker.Bootstrap };
        await _server.Client.ReplaceStatusAsync(cluster);
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _server.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private async Task<KafkaTopic> ReconcileAsync(string name)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
    }

    private async Task CreateAsync(string name, int partitions, int rf, Dictionary<string, string>? config = null)
    {
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "local", Partitions = partitions, ReplicationFactor = rf, Config = config } };
        t.Metadata.Name = name;
        t.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(t);
    }

    [Fact]
    public async Task Topic_lifecycle_against_a_real_broker()
    {
        await CreateAsync("orders", 3, 1, new() { ["retention.ms"] = "600000" });
        var t = await ReconcileAsync("orders");
        Assert.True(Conditions.IsTrue(t.Status!.Conditions, ConditionTypes.Ready), Conditions.Find(t.Status.Conditions, ConditionTypes.Ready)?.Message);
        var state = (await _admin.DescribeTopicAsync(_broker.Bootstrap, "orders", CancellationToken.None))!;
        Assert.Equal(3, state.Partitions);
        Assert.Equal("600000", state.Config["retention.ms"]);

        // Grow partitions.
        t.Spec.Partitions = 5;
        await _server.Client.ReplaceAsync(t);
        t = await ReconcileAsync("orders");
        Assert.Equal(5, (await _admin.DescribeTopicAsync(_broker.Bootstrap, "orders", CancellationToken.None))!.Partitions);
        Assert.Equal(5, t.Status!.Partitions);
        Assert.False(string.IsNullOrEmpty(t.Status.TopicId));

        // Drift made with the admin API directly is reverted.
        await _admin.AlterTopicConfigAsync(_broker.Bootstrap, "orders", new Dictionary<string, string> { ["retention.ms"] = "1" }, [], CancellationToken.None);
        await ReconcileAsync("orders");
        Assert.Equal("600000", (await _admin.DescribeTopicAsync(_broker.Bootstrap, "orders", CancellationToken.None))!.Config["retention.ms"]);
        Assert.Contains(_events.Events, e => e.Reason == "ConfigDrift");

        // Deleting the resource deletes the topic.
        await _server.Client.DeleteAsync<KafkaTopic>(Ns, "orders");
        await _reconciler.ReconcileAsync((await _server.Client.GetAsync<KafkaTopic>(Ns, "orders"))!, CancellationToken.None);
        Assert.Null(await _server.Client.GetAsync<KafkaTopic>(Ns, "orders"));
        await Poll.UntilAsync(async () => await _admin.DescribeTopicAsync(_broker.Bootstrap, "orders", CancellationToken.None) is null, "topic deleted in the broker");
    }

    [Fact]
    public async Task Replication_factor_above_the_broker_count_is_refused_before_creating()
    {
        await CreateAsync("wide", 1, 2);
        var t = await ReconcileAsync("wide");
        Assert.Equal("InvalidReplicationFactor", Conditions.Find(t.Status!.Conditions, ConditionTypes.Ready)!.Reason);
        Assert.Null(await _admin.DescribeTopicAsync(_broker.Bootstrap, "wide", CancellationToken.None));
    }
}
