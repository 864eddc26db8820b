using k8s.Models;
using KafkaOperator.Client.Admin;
using KafkaOperator.Kube;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// One Ready cluster shared by <see cref="ClusterOperationsRealBrokerTests"/>: three broker processes behind the test
/// kubelet (ordinal 0 the only voter, 1 and 2 broker-only, so a scale-down to 2 is allowed once the topics fit),
/// min.insync.replicas 2, storage.deleteClaim with a claim per ordinal (the StatefulSet controller's part), the
/// operator's KafkaTopicAdmin and the in-process API server. The reconciler runs only when a test asks, one pass at
/// a time, so a test can look at the cluster between passes.
/// </summary>
public sealed class ClusterOperationsFixture : IAsyncLifetime
{
    public const string Ns = "kafka";
    public const string Name = "demo";
    private FakeApiServer _server = null!;
    private ClusterReconciler _reconciler = null!;

    public TestKubelet Kubelet { get; private set; } = null!;
    public KafkaAdminClient Admin { get; private set; } = null!;
    public MemoryEventSink Events { get; } = new();
    public KafkaTopicAdmin OperatorAdmin { get; } = new();
    public IKubeClient Client => _server.Client;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        Kubelet = await TestKubelet.StartAsync(_server.Client, Ns, Name, 3, new Dictionary<string, string>
        {
            ["min.insync.replicas"] = "2",
            ["offsets.topic.replication.factor"] = "2",
        }, controllers: 1);
        _reconciler = new ClusterReconciler(_server.Client, Events, new ModelOptions(), NullLogger<ClusterReconciler>.Instance, OperatorAdmin,
            new ClusterOperationsOptions { Bootstrap = _ => Kubelet.Bootstrap, BrokerReadyTimeout = TimeSpan.FromMinutes(2) });

        var cluster = Samples.Cluster(Name, 3, Ns);
        cluster.Metadata.Uid = null;
        cluster.Spec.Controllers = 1;
        cluster.Spec.Config = new() { ["min.insync.replicas"] = "2" };
        cluster.Spec.Storage = new KafkaStorage { Size = "1Gi", DeleteClaim = true };
        await _server.Client.CreateAsync(cluster);
        var names = new ClusterNames(cluster);
        for (var i = 0; i < 3; i++)
        {
            await _server.Client.CreateAsync(new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = $"data-{Name}-broker-{i}", NamespaceProperty = Ns, Labels = names.Labels() } });
        }
        await ReconcileUntilAsync(c => Conditions.IsTrue(c.Status?.Conditions, ConditionTypes.Ready), "the cluster Ready", TimeSpan.FromSeconds(90));
        Admin = await KafkaAdminClient.ConnectAsync(Kubelet.Bootstrap);
    }

    public async Task DisposeAsync()
    {
        if (Admin is not null)
        {
            await Admin.DisposeAsync();
        }
        await OperatorAdmin.DisposeAsync();
        await Kubelet.DisposeAsync();
        await _server.DisposeAsync();
    }

    public async Task<KafkaCluster> GetAsync() => (await _server.Client.GetAsync<KafkaCluster>(Ns, Name))!;

    public async Task EditAsync(Action<KafkaCluster> edit)
    {
        var c = await GetAsync();
        edit(c);
        await _server.Client.ReplaceAsync(c);
    }

    /// <summary>One reconcile pass, as a requeue or a watch event would run it; returns the cluster it left.</summary>
    public async Task<KafkaCluster> ReconcileAsync()
    {
        Assert.Null(Kubelet.Failure);
        var result = await _reconciler.ReconcileAsync(await GetAsync(), CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return await GetAsync();
    }

    /// <summary>Reconciles, 200 ms apart (the controller's requeues, shortened), until the cluster satisfies <paramref name="done"/>.</summary>
    public async Task<KafkaCluster> ReconcileUntilAsync(Func<KafkaCluster, bool> done, string what, TimeSpan timeout)
    {
        KafkaCluster? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await ReconcileAsync();
            if (done(last))
            {
                return true;
            }
            await Task.Delay(200);
            return false;
        }, $"{what} (last Ready condition: {ReadyCondition(last)?.Reason}: {ReadyCondition(last)?.Message})", timeout);
        return last!;
    }

    public static StatusCondition? ReadyCondition(KafkaCluster? c) => Conditions.Find(c?.Status?.Conditions, ConditionTypes.Ready);

    public async Task<List<string>> PodNamesAsync() =>
        (await _server.Client.ListAsync<V1Pod>(Ns)).Items.Select(p => p.Metadata.Name!).Order(StringComparer.Ordinal).ToList();

    public async Task<List<string>> ClaimNamesAsync() =>
        (await _server.Client.ListAsync<V1PersistentVolumeClaim>(Ns)).Items.Select(p => p.Metadata.Name!).Order(StringComparer.Ordinal).ToList();

    public async Task<V1StatefulSet> StatefulSetAsync() => (await _server.Client.GetAsync<V1StatefulSet>(Ns, $"{Name}-broker"))!;

    /// <summary>Each partition's replica list, as "topic-partition" → "[a,b,c]".</summary>
    public async Task<Dictionary<string, string>> AssignmentAsync(string topic) =>
        (await Admin.DescribeTopicAsync(topic)).Partitions.ToDictionary(p => $"{topic}-{p.Partition}", p => $"[{string.Join(",", p.Replicas)}]", StringComparer.Ordinal);
}
