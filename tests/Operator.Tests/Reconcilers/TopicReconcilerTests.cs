using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

public sealed class TopicReconcilerTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private readonly FakeTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private TopicReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _reconciler = new TopicReconciler(_server.Client, _admin, _events, NullLogger<TopicReconciler>.Instance);
        var cluster = Samples.Cluster("demo", 3, Ns);
        cluster.Metadata.Uid = null;
        await _server.Client.CreateAsync(cluster);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<KafkaTopic> CreateTopicAsync(string name, int partitions = 3, int rf = 3, Dictionary<string, string>? config = null, string? topicName = null, DeletionPolicy policy = DeletionPolicy.Delete)
    {
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = partitions, ReplicationFactor = rf, Config = config, TopicName = topicName, DeletionPolicy = policy } };
        t.Metadata.Name = name;
        t.Metadata.NamespaceProperty = Ns;
        return await _server.Client.CreateAsync(t);
    }

    private async Task<KafkaTopic> ReconcileAsync(string name)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
    }

    private static StatusCondition Ready(KafkaTopic t) => Conditions.Find(t.Status?.Conditions, ConditionTypes.Ready)!;

    [Fact]
    public async Task Creates_the_topic_adds_the_finalizer_and_reports_status()
    {
        await CreateTopicAsync("orders", 6, 3, new() { ["retention.ms"] = "1000" });
        var t = await ReconcileAsync("orders");

        Assert.Contains(CrdGroup.TopicFinalizer, t.Metadata.Finalizers!);
        var kafka = _admin.Get("orders")!;
        Assert.Equal(6, kafka.Partitions);
        Assert.Equal(3, kafka.ReplicationFactor);
        Assert.Equal("1000", kafka.Config["retention.ms"]);
        Assert.Equal("True", Ready(t).Status);
        Assert.Equal(kafka.Id, t.Status!.TopicId);
        Assert.Equal(6, t.Status.Partitions);
        Assert.Equal(t.Metadata.Generation, t.Status.ObservedGeneration);
        Assert.Equal(["demo-bootstrap.kafka.svc:9092"], _admin.Bootstraps.Distinct());

        // Steady state: nothing more is changed.
        _admin.Mutations.Clear();
        await ReconcileAsync("orders");
        Assert.Empty(_admin.Mutations);
    }

    [Fact]
    public async Task Spec_topic_name_may_use_characters_kubernetes_names_cannot()
    {
        await CreateTopicAsync("payments-v1", topicName: "Payments_v1");
        await ReconcileAsync("payments-v1");
        Assert.NotNull(_admin.Get("Payments_v1"));
        Assert.Null(_admin.Get("payments-v1"));
    }

    [Fact]
    public async Task Replication_factor_above_the_registered_broker_count_creates_nothing()
    {
        // spec.replicas is 3 but only two brokers have registered (one pod is still starting).
        _admin.Brokers = 2;
        await CreateTopicAsync("too-wide", rf: 3);
        var t = await ReconcileAsync("too-wide");
        Assert.Equal("False", Ready(t).Status);
        Assert.Equal("InvalidReplicationFactor", Ready(t).Reason);
        Assert.Null(_admin.Get("too-wide"));
        Assert.Empty(_admin.Mutations);
    }

    [Fact]
    public async Task Replication_factor_above_the_cluster_spec_replicas_is_refused_without_contacting_a_broker()
    {
        // The real admin client, pointed at a port nothing listens on: any broker call would end in
        // BrokerNotAvailable instead of the answer the specs already give.
        var cluster = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        cluster.Status = new KafkaClusterStatus { BootstrapServers = "127.0.0.1:1" };
        await _server.Client.ReplaceStatusAsync(cluster);
        await using var admin = new KafkaTopicAdmin();
        var reconciler = new TopicReconciler(_server.Client, admin, _events, NullLogger<TopicReconciler>.Instance);
        await CreateTopicAsync("too-wide", rf: 4);

        var result = await reconciler.ReconcileAsync((await _server.Client.GetAsync<KafkaTopic>(Ns, "too-wide"))!, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error);
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, "too-wide"))!;
        Assert.Equal("False", Ready(t).Status);
        Assert.Equal("InvalidReplicationFactor", Ready(t).Reason);
        Assert.Contains("spec.replicas", Ready(t).Message, StringComparison.Ordinal);
        var warning = Assert.Single(_events.Events, e => e.Reason == "InvalidReplicationFactor");
        Assert.Equal(EventTypes.Warning, warning.Type);

        // A later pass (resync) neither contacts a broker nor repeats the event.
        result = await reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        Assert.Single(_events.Events, e => e.Reason == "InvalidReplicationFactor");
    }

    private async Task SetClusterConfigAsync(Dictionary<string, string> config)
    {
        var cluster = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        cluster.Spec.Config = config;
        await _server.Client.ReplaceAsync(cluster);
    }

    [Fact]
    public async Task Cluster_min_insync_replicas_above_the_replication_factor_is_warned_about_once()
    {
        await SetClusterConfigAsync(new() { ["min.insync.replicas"] = "2" });
        await CreateTopicAsync("acks-all", rf: 1);

        var t = await ReconcileAsync("acks-all");

        // Kafka creates such a topic (acks=1 producers work), so the operator does too, and says why acks=all fails.
        Assert.NotNull(_admin.Get("acks-all"));
        Assert.Equal("True", Ready(t).Status);
        Assert.Contains("min.insync.replicas 2", Ready(t).Message, StringComparison.Ordinal);
        Assert.Contains("replicationFactor 1", t.Status!.Message, StringComparison.Ordinal);
        var warning = Assert.Single(_events.Events, e => e.Reason == "MinInsyncReplicasAboveReplicationFactor");
        Assert.Equal(EventTypes.Warning, warning.Type);
        Assert.Contains("KafkaCluster demo", warning.Message, StringComparison.Ordinal);

        // Later passes keep the message without repeating the event.
        t = await ReconcileAsync("acks-all");
        Assert.Contains("min.insync.replicas 2", Ready(t).Message, StringComparison.Ordinal);
        Assert.Single(_events.Events, e => e.Reason == "MinInsyncReplicasAboveReplicationFactor");
    }

    [Fact]
    public async Task Topic_min_insync_replicas_overrides_the_cluster_value()
    {
        await SetClusterConfigAsync(new() { ["min.insync.replicas"] = "2" });
        await CreateTopicAsync("lenient", rf: 1, config: new() { ["min.insync.replicas"] = "1" });
        await CreateTopicAsync("strict", rf: 2, config: new() { ["min.insync.replicas"] = "3" });

        var lenient = await ReconcileAsync("lenient");
        var strict = await ReconcileAsync("strict");

        Assert.Null(Ready(lenient).Message);
        Assert.Contains("topic's spec.config", Ready(strict).Message, StringComparison.Ordinal);
        Assert.Single(_events.Events, e => e.Reason == "MinInsyncReplicasAboveReplicationFactor" && e.Object == "KafkaTopic/strict");
        Assert.DoesNotContain(_events.Events, e => e.Object == "KafkaTopic/lenient" && e.Type == EventTypes.Warning);
    }

    [Fact]
    public async Task Partition_decrease_is_reported_and_nothing_changes()
    {
        _admin.Seed("shrink", 6, 3, new() { ["retention.ms"] = "5" });
        // Admission would reject this; here the object is created already below the topic's count.
        await CreateTopicAsync("shrink", partitions: 3, config: new() { ["retention.ms"] = "10" });
        var t = await ReconcileAsync("shrink");
        Assert.Equal("PartitionDecreaseNotSupported", Ready(t).Reason);
        Assert.Equal("False", Ready(t).Status);
        Assert.Empty(_admin.Mutations);
        Assert.Equal(6, _admin.Get("shrink")!.Partitions);
        Assert.Equal("5", _admin.Get("shrink")!.Config["retention.ms"]);
    }

    [Fact]
    public async Task Partitions_grow_and_spec_config_changes_are_applied()
    {
        await CreateTopicAsync("grow", partitions: 3, config: new() { ["retention.ms"] = "10" });
        var t = await ReconcileAsync("grow");
        t.Spec.Partitions = 8;
        t.Spec.Config = new() { ["retention.ms"] = "20", ["cleanup.policy"] = "compact" };
        await _server.Client.ReplaceAsync(t);
        t = await ReconcileAsync("grow");

        Assert.Equal(8, _admin.Get("grow")!.Partitions);
        Assert.Equal("20", _admin.Get("grow")!.Config["retention.ms"]);
        Assert.Equal("compact", _admin.Get("grow")!.Config["cleanup.policy"]);
        Assert.Equal(8, t.Status!.Partitions);
        Assert.Equal("True", Ready(t).Status);
        Assert.Contains(_events.Events, e => e.Reason == "ConfigUpdated");
        Assert.DoesNotContain(_events.Events, e => e.Reason == "ConfigDrift");
    }

    [Fact]
    public async Task Config_drift_made_outside_the_operator_is_reported_then_reverted()
    {
        await CreateTopicAsync("drift", config: new() { ["retention.ms"] = "10" });
        await ReconcileAsync("drift");
        // Someone runs kafka-configs by hand.
        _admin.Get("drift")!.Config["retention.ms"] = "99";
        _admin.Get("drift")!.Config["max.message.bytes"] = "1";

        var t = await ReconcileAsync("drift");

        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "10" }, _admin.Get("drift")!.Config);
        var warning = Assert.Single(_events.Events, e => e.Reason == "ConfigDrift");
        Assert.Equal(EventTypes.Warning, warning.Type);
        Assert.Contains("max.message.bytes", warning.Message, StringComparison.Ordinal);
        Assert.Contains("retention.ms", Ready(t).Message, StringComparison.Ordinal);
        Assert.Equal("True", Ready(t).Status);
    }

    [Fact]
    public async Task Deleting_the_resource_deletes_the_topic_then_releases_the_finalizer()
    {
        await CreateTopicAsync("gone");
        await ReconcileAsync("gone");
        await _server.Client.DeleteAsync<KafkaTopic>(Ns, "gone");
        var marked = (await _server.Client.GetAsync<KafkaTopic>(Ns, "gone"))!;
        Assert.NotNull(marked.Metadata.DeletionTimestamp);

        var result = await _reconciler.ReconcileAsync(marked, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Null(_admin.Get("gone"));
        Assert.Null(await _server.Client.GetAsync<KafkaTopic>(Ns, "gone"));
    }

    [Fact]
    public async Task Retain_policy_keeps_the_topic()
    {
        await CreateTopicAsync("kept", policy: DeletionPolicy.Retain);
        await ReconcileAsync("kept");
        await _server.Client.DeleteAsync<KafkaTopic>(Ns, "kept");
        await _reconciler.ReconcileAsync((await _server.Client.GetAsync<KafkaTopic>(Ns, "kept"))!, CancellationToken.None);
        Assert.NotNull(_admin.Get("kept"));
        Assert.Null(await _server.Client.GetAsync<KafkaTopic>(Ns, "kept"));
    }

    [Fact]
    public async Task Deletion_is_never_blocked_by_a_missing_cluster()
    {
        await CreateTopicAsync("orphan");
        await ReconcileAsync("orphan");
        await _server.Client.DeleteAsync<KafkaCluster>(Ns, "demo");
        await _server.Client.DeleteAsync<KafkaTopic>(Ns, "orphan");
        var result = await _reconciler.ReconcileAsync((await _server.Client.GetAsync<KafkaTopic>(Ns, "orphan"))!, CancellationToken.None);
        Assert.True(result.Succeeded);
        Assert.Null(await _server.Client.GetAsync<KafkaTopic>(Ns, "orphan"));
        var warning = Assert.Single(_events.Events, e => e.Reason == "ClusterNotFound");
        Assert.Equal(EventTypes.Warning, warning.Type);
    }

    [Fact]
    public async Task Kafka_errors_fail_the_pass_and_are_shown_in_status()
    {
        await CreateTopicAsync("down");
        _admin.FailWith = "no broker reachable";
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, "down"))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.False(result.Succeeded);
        t = (await _server.Client.GetAsync<KafkaTopic>(Ns, "down"))!;
        Assert.Equal("BrokerNotAvailable", Ready(t).Reason);
        Assert.Equal("False", Ready(t).Status);
    }

    [Fact]
    public async Task Missing_cluster_is_reported_and_retried()
    {
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "nope", Partitions = 1, ReplicationFactor = 1 } };
        t.Metadata.Name = "lost";
        t.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(t);
        t = (await _server.Client.GetAsync<KafkaTopic>(Ns, "lost"))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded);
        Assert.NotNull(result.RequeueAfter);
        t = (await _server.Client.GetAsync<KafkaTopic>(Ns, "lost"))!;
        Assert.Equal("ClusterNotFound", Ready(t).Reason);
    }
}
