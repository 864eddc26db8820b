using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Metrics;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Queue;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

public sealed class ControllerTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private readonly OperatorMetrics _metrics = new();
    private static readonly ControllerOptions Fast = new() { BackoffBase = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(200) };

    public async Task InitializeAsync() => _server = await FakeApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Controller<KafkaCluster> ClusterController() =>
        new("kafkacluster", _server.Client,
            new ClusterReconciler(_server.Client, new MemoryEventSink(), new ModelOptions(), NullLogger<ClusterReconciler>.Instance, new FakeClusterAdmin()).ReconcileAsync,
            _metrics, NullLogger.Instance, Fast);

    private async Task CreateClusterAsync(string name, Dictionary<string, string>? annotations = null)
    {
        var c = Samples.Cluster(name, 3, Ns);
        c.Metadata.Uid = null;
        c.Metadata.Annotations = annotations;
        await _server.Client.CreateAsync(c);
    }

    private async Task AdvanceResourceVersionAsync()
    {
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta(), Data = new Dictionary<string, string>() { ["x"] = "y" } };
        cm.Metadata.Name = "noise-" + Guid.NewGuid().ToString("N")[..6];
        cm.Metadata.NamespaceProperty = "other";
        await _server.Client.CreateAsync(cm);
    }

    [Fact]
    public async Task Paused_annotation_stops_reconciliation_of_that_object()
    {
        using var controller = ClusterController();
        await CreateClusterAsync("frozen", new() { [CrdGroup.PausedAnnotation] = "true" });
        var result = await controller.ReconcileKeyAsync(ObjectKey.Of(Ns, "frozen"), CancellationToken.None);
        Assert.True(result.Succeeded);
        Assert.Null(await _server.Client.GetAsync<V1StatefulSet>(Ns, "frozen-broker"));
        Assert.Null((await _server.Client.GetAsync<KafkaCluster>(Ns, "frozen"))!.Status);

        // Unpausing resumes.
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "frozen"))!;
        c.Metadata.Annotations![CrdGroup.PausedAnnotation] = "false";
        await _server.Client.ReplaceAsync(c);
        await controller.ReconcileKeyAsync(ObjectKey.Of(Ns, "frozen"), CancellationToken.None);
        Assert.NotNull(await _server.Client.GetAsync<V1StatefulSet>(Ns, "frozen-broker"));
    }

    [Fact]
    public async Task Running_controller_reconciles_new_objects_and_survives_a_watch_restart_with_410()
    {
        using var controller = ClusterController();
        using var cts = new CancellationTokenSource();
        var run = controller.RunAsync(cts.Token);
        try
        {
            await CreateClusterAsync("first");
            await Poll.UntilAsync(async () => await _server.Client.GetAsync<V1StatefulSet>(Ns, "first-broker") is not null, "first cluster's StatefulSet");

            // History compacted past the watcher's position and the watch dropped: the watcher must relist. Repeated
            // until it does: a status write of the still-running reconcile can land after the compaction and move
            // the watcher's position past it, and then re-watching is legitimately fine without a relist.
            await Poll.UntilAsync(async () =>
            {
                if (controller.Informer.ListCount >= 2)
                    return true;
                await AdvanceResourceVersionAsync();
                _server.CompactHistory();
                _server.CloseWatches();
                return false;
            }, "a relist after 410 Gone");
            await CreateClusterAsync("second");
            await Poll.UntilAsync(async () => await _server.Client.GetAsync<V1StatefulSet>(Ns, "second-broker") is not null, "second cluster's StatefulSet");
            await Poll.UntilAsync(() => _metrics.ReconcileCount("kafkacluster", success: true) >= 2, "two successful reconciles in the metrics");
        }
        finally
        {
            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Conflicts_are_retried_with_backoff_until_the_topic_is_ready()
    {
        await CreateClusterAsync("demo");
        var admin = new FakeTopicAdmin();
        var topics = new TopicReconciler(_server.Client, admin, new MemoryEventSink(), NullLogger<TopicReconciler>.Instance);
        using var controller = new Controller<KafkaTopic>("kafkatopic", _server.Client, topics.ReconcileAsync, _metrics, NullLogger.Instance, Fast);
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = 2, ReplicationFactor = 1 } };
        t.Metadata.Name = "retry";
        t.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(t);
        // The finalizer write (PUT on the object) hits two stale-resourceVersion conflicts.
        _server.InjectFailures(2, 409, "PUT", "/kafkatopics/retry");

        using var cts = new CancellationTokenSource();
        var run = controller.RunAsync(cts.Token);
        try
        {
            await Poll.UntilAsync(async () => Conditions.IsTrue((await _server.Client.GetAsync<KafkaTopic>(Ns, "retry"))?.Status?.Conditions, ConditionTypes.Ready), "topic Ready");
            Assert.Equal(2, _metrics.ReconcileCount("kafkatopic", success: false));
            Assert.NotNull(admin.Get("retry"));
            Assert.Contains("kafka_operator_reconcile_errors_total{controller=\"kafkatopic\"} 2", _metrics.Render(), StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Topic_deletion_through_the_running_controller_releases_the_finalizer()
    {
        await CreateClusterAsync("demo");
        var admin = new FakeTopicAdmin();
        var topics = new TopicReconciler(_server.Client, admin, new MemoryEventSink(), NullLogger<TopicReconciler>.Instance);
        using var controller = new Controller<KafkaTopic>("kafkatopic", _server.Client, topics.ReconcileAsync, _metrics, NullLogger.Instance, Fast);
        using var cts = new CancellationTokenSource();
        var run = controller.RunAsync(cts.Token);
        try
        {
            var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = 1, ReplicationFactor = 1 } };
            t.Metadata.Name = "short-lived";
            t.Metadata.NamespaceProperty = Ns;
            await _server.Client.CreateAsync(t);
            await Poll.UntilAsync(() => admin.Get("short-lived") is not null, "topic created in Kafka");
            await Poll.UntilAsync(async () => (await _server.Client.GetAsync<KafkaTopic>(Ns, "short-lived"))?.Metadata.Finalizers?.Count == 1, "finalizer");
            await _server.Client.DeleteAsync<KafkaTopic>(Ns, "short-lived");
            await Poll.UntilAsync(async () => await _server.Client.GetAsync<KafkaTopic>(Ns, "short-lived") is null, "KafkaTopic gone");
            Assert.Null(admin.Get("short-lived"));
        }
        finally
        {
            await cts.CancelAsync();
            await run;
        }
    }
}
