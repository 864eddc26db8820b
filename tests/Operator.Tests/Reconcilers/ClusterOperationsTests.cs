using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

/// <summary>
/// The cluster operations against the in-process API server and the fake admin: rolls gated on the ISR, dynamic
/// config, scale-down drains and refusals, the scale-up rebalance and the dry-run plan. The test plays the
/// StatefulSet controller and the kubelet (pods at a revision, Ready or not).
/// </summary>
public sealed partial class ClusterOperationsTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private readonly MemoryEventSink _events = new();
    private readonly FakeClusterAdmin _kafka = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));
    private ClusterReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _reconciler = new ClusterReconciler(_server.Client, _events, new ModelOptions(), NullLogger<ClusterReconciler>.Instance, _kafka,
            new ClusterOperationsOptions { BrokerReadyTimeout = TimeSpan.FromMinutes(5) }, _time);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<KafkaCluster> CreateAsync(int replicas = 3, int? controllers = null, Action<KafkaCluster>? edit = null)
    {
        var c = Samples.Cluster("demo", replicas, Ns);
        c.Metadata.Uid = null;
        c.Spec.Controllers = controllers;
        edit?.Invoke(c);
        return await _server.Client.CreateAsync(c);
    }

    private async Task<KafkaCluster> EditAsync(Action<KafkaCluster> edit)
    {
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        edit(c);
        return await _server.Client.ReplaceAsync(c);
    }

    private async Task<KafkaCluster> ReconcileAsync()
    {
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        var result = await _reconciler.ReconcileAsync(c, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
    }

    private async Task<V1StatefulSet> StsAsync() => (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!;

    /// <summary>The StatefulSet controller and kubelet: every missing pod of the StatefulSet created from its current template.</summary>
    private async Task RunPodsAsync(bool ready = true)
    {
        var sts = await StsAsync();
        // The StatefulSet controller's revision: a hash of the whole pod template.
        var revision = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(k8s.KubernetesJson.Serialize(sts.Spec!.Template))))[..10];
        sts.Status = new V1StatefulSetStatus { Replicas = sts.Spec.Replicas ?? 0, UpdateRevision = revision, CurrentRevision = revision, ObservedGeneration = sts.Metadata.Generation };
        await _server.Client.ReplaceStatusAsync(sts);
        for (var i = 0; i < sts.Spec.Replicas; i++)
        {
            var name = $"demo-broker-{i}";
            var pod = await _server.Client.GetAsync<V1Pod>(Ns, name);
            if (pod is null)
            {
                pod = new V1Pod { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns } };
                pod.Metadata.Labels = new Dictionary<string, string>(sts.Spec.Template.Metadata!.Labels!) { ["controller-revision-hash"] = revision };
                pod.Metadata.Annotations = new Dictionary<string, string>(sts.Spec.Template.Metadata.Annotations!);
                pod = await _server.Client.CreateAsync(pod);
                await SetReadyAsync(i, ready);
            }
        }
        foreach (var pod in (await _server.Client.ListAsync<V1Pod>(Ns)).Items.Where(p => int.Parse(p.Metadata.Name!.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture) >= sts.Spec.Replicas))
        {
            await _server.Client.DeleteAsync<V1Pod>(Ns, pod.Metadata.Name!);
        }
    }

    private async Task SetReadyAsync(int ordinal, bool ready)
    {
        var pod = (await _server.Client.GetAsync<V1Pod>(Ns, $"demo-broker-{ordinal}"))!;
        pod.Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] };
        await _server.Client.ReplaceStatusAsync(pod);
    }

    private async Task<List<string>> PodNamesAsync() =>
        (await _server.Client.ListAsync<V1Pod>(Ns)).Items.Select(p => p.Metadata.Name!).Order(StringComparer.Ordinal).ToList();

    private async Task<KafkaCluster> RunningClusterAsync(int replicas = 3, int? controllers = null, Action<KafkaCluster>? edit = null)
    {
        await CreateAsync(replicas, controllers, edit);
        await ReconcileAsync();
        await RunPodsAsync();
        var c = await ReconcileAsync();
        Assert.True(Conditions.IsTrue(c.Status!.Conditions, ConditionTypes.Ready), Conditions.Find(c.Status.Conditions, ConditionTypes.Ready)?.Message);
        return c;
    }

    private static StatusCondition Ready(KafkaCluster c) => Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!;

    [Fact]
    public async Task Roll_waits_while_a_partition_would_fall_below_min_isr_and_for_the_restarted_broker_to_rejoin_the_isr()
    {
        _kafka.ActiveController = 0;
        _kafka.Seed("orders", 2, [1, 2, 0], [2, 0, 1]);
        // orders-0 is under-replicated: broker 1 is its only other in-sync replica besides 2.
        _kafka.SetIsr("orders", 0, 1, 2);
        _kafka.SetIsr("orders", 1, 2, 0);
        await RunningClusterAsync();

        await EditAsync(c => c.Metadata.Annotations = new Dictionary<string, string> { [ClusterNames.RestartAnnotation] = "1" });
        await ReconcileAsync(); // applies the new template
        await RunPodsAsync();   // the StatefulSet controller observed it; pods are still the old ones
        var c = await ReconcileAsync();

        // Broker 1 goes first (not the active controller), but restarting it leaves orders-0 with ISR [2] < 2;
        // broker 2 would leave orders-0 and orders-1 below min ISR too: the roll waits and names the partitions.
        Assert.Equal(3, (await PodNamesAsync()).Count);
        Assert.Equal("WaitingForMinIsr", Ready(c).Reason);
        Assert.Contains("orders-0", Ready(c).Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 0], c.Status!.Roll!.Pending);

        // The ISR recovers: broker 1 is deleted.
        _kafka.SetIsr("orders", 0, 1, 2, 0);
        _kafka.SetIsr("orders", 1, 2, 0, 1);
        c = await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-2"], await PodNamesAsync());
        Assert.Equal(1, c.Status!.Roll!.Broker);

        // It comes back Ready, but has not rejoined the ISR of orders-0 yet: nothing else rolls.
        _kafka.SetIsr("orders", 0, 2, 0);
        await RunPodsAsync();
        c = await ReconcileAsync();
        Assert.Equal(3, (await PodNamesAsync()).Count);
        Assert.Contains("rejoin the ISR of orders-0", Ready(c).Message, StringComparison.Ordinal);

        _kafka.SetIsr("orders", 0, 1, 2, 0);
        c = await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-1"], await PodNamesAsync());
        Assert.Equal(2, c.Status!.Roll!.Broker);
        await RunPodsAsync();
        await ReconcileAsync();
        Assert.Equal(["demo-broker-1", "demo-broker-2"], await PodNamesAsync()); // the active controller last
        await RunPodsAsync();
        c = await ReconcileAsync();
        Assert.True(Conditions.IsTrue(c.Status!.Conditions, ConditionTypes.Ready), Ready(c).Message);
        Assert.Null(c.Status.Roll);
        Assert.Equal(3, _events.Events.Count(e => e.Reason == "RollingBroker"));
    }

    [Fact]
    public async Task A_restarted_broker_not_ready_within_the_timeout_stops_the_roll()
    {
        _kafka.ActiveController = 2;
        await RunningClusterAsync();
        await EditAsync(c => c.Spec.Image = "broker:2");
        await ReconcileAsync();
        await RunPodsAsync();
        await ReconcileAsync();
        Assert.Equal(["demo-broker-1", "demo-broker-2"], await PodNamesAsync());

        await RunPodsAsync(ready: false);
        _time.Advance(TimeSpan.FromMinutes(6));
        var c = await ReconcileAsync();
        Assert.Equal("RollStalled", Ready(c).Reason);
        Assert.Contains("broker 0", Ready(c).Message, StringComparison.Ordinal);
        Assert.Single(_events.Events, e => e.Reason == "RollStalled");
        await ReconcileAsync();
        Assert.Equal(3, (await PodNamesAsync()).Count); // never forced on
        Assert.Single(_events.Events, e => e.Reason == "RollingBroker");

        // Once it is Ready the roll goes on.
        await SetReadyAsync(0, true);
        await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-2"], await PodNamesAsync());
    }

    [Fact]
    public async Task Dynamic_keys_are_applied_without_a_roll_and_removed_keys_deleted()
    {
        await RunningClusterAsync(edit: c => c.Spec.Config = new() { ["auto.create.topics.enable"] = "false" });
        var hash = (await StsAsync()).Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation];

        await EditAsync(c => c.Spec.Config = new() { ["auto.create.topics.enable"] = "false", ["log.retention.ms"] = "60000", ["min.insync.replicas"] = "2" });
        var c = await ReconcileAsync();
        Assert.Equal(hash, (await StsAsync()).Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation]);
        Assert.Equal("60000", _kafka.Defaults["log.retention.ms"]);
        Assert.Equal("2", _kafka.Defaults["min.insync.replicas"]);
        Assert.Equal(["log.retention.ms", "min.insync.replicas"], c.Status!.Config!.Dynamic);
        Assert.Equal(["auto.create.topics.enable"], c.Status.Config.Restart);
        Assert.True(Conditions.IsTrue(c.Status.Conditions, ConditionTypes.Ready));
        Assert.All(c.Status.Brokers!, b => Assert.True(b.UpToDate));
        Assert.Contains(_events.Events, e => e.Reason == "DynamicConfigApplied");

        var mutations = _kafka.Mutations.Count;
        await ReconcileAsync();
        Assert.Equal(mutations, _kafka.Mutations.Count); // converged: nothing applied again

        await EditAsync(c => c.Spec.Config = new() { ["auto.create.topics.enable"] = "false", ["min.insync.replicas"] = "2" });
        await ReconcileAsync();
        Assert.False(_kafka.Defaults.ContainsKey("log.retention.ms"));
        Assert.Contains("delete log.retention.ms", _kafka.Mutations);
        Assert.Equal(3, (await PodNamesAsync()).Count);
    }

    [Fact]
    public async Task Scale_down_is_refused_while_a_topic_needs_more_brokers_than_remain()
    {
        _kafka.Seed("wide", 2, [0, 1, 2], [1, 2, 0]);
        await RunningClusterAsync(controllers: 1);
        var c = await EditAsync(c => c.Spec.Replicas = 2);
        c = await ReconcileAsync();
        Assert.Equal(3, (await StsAsync()).Spec!.Replicas);
        Assert.Equal("ScaleDownBlocked", Ready(c).Reason);
        Assert.Contains("wide", Ready(c).Message, StringComparison.Ordinal);
        Assert.Contains(_events.Events, e => e.Reason == "ScaleDownBlocked");
        c = await ReconcileAsync();
        Assert.Equal("ScaleDownBlocked", Ready(c).Reason);
        Assert.Single(_events.Events, e => e.Reason == "ScaleDownBlocked"); // once when it starts, not every pass
        Assert.Empty(_kafka.Moves);
        Assert.Equal(3, (await PodNamesAsync()).Count);
    }

    [Fact]
    public async Task Scale_down_never_removes_a_controller()
    {
        await RunningClusterAsync();
        var c = await EditAsync(c => c.Spec.Replicas = 2);
        c = await ReconcileAsync();
        Assert.Equal(3, (await StsAsync()).Spec!.Replicas);
        Assert.Equal("ScaleDownBlocked", Ready(c).Reason);
        Assert.Contains("voter", Ready(c).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_down_drains_the_removed_brokers_before_lowering_the_statefulset_and_deletes_their_claims()
    {
        _kafka.Seed("orders", 1, [0, 2], [2, 1], [1, 0]);
        await RunningClusterAsync(controllers: 1, edit: c => c.Spec.Storage = new KafkaStorage { Size = "1Gi", DeleteClaim = true });
        var claim = new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "data-demo-broker-2", NamespaceProperty = Ns, Labels = new ClusterNames(Samples.Cluster()).Labels() } };
        await _server.Client.CreateAsync(claim);

        await EditAsync(c => c.Spec.Replicas = 2);
        var c = await ReconcileAsync();
        Assert.Equal(3, (await StsAsync()).Spec!.Replicas);
        Assert.Equal(2, _kafka.Moves.Count);
        Assert.All(_kafka.Moves, m => Assert.DoesNotContain(2, m.Target));
        Assert.Equal("ScalingDown", Ready(c).Reason);
        Assert.Equal(new RebalanceStatus { Kind = "ScaleDown", State = "Running" }.Kind, c.Status!.Rebalance!.Kind);
        Assert.Equal("Running", c.Status.Rebalance.State);

        c = await ReconcileAsync();
        Assert.Equal(3, (await StsAsync()).Spec!.Replicas); // still moving
        Assert.Equal(2, _kafka.Moves.Count);

        _kafka.CompleteReassignments();
        c = await ReconcileAsync();
        Assert.Equal("Completed", c.Status!.Rebalance!.State);
        Assert.Contains("clear throttles", _kafka.Mutations);
        Assert.Equal(2, (await StsAsync()).Spec!.Replicas);
        await RunPodsAsync();
        c = await ReconcileAsync();
        Assert.Null(await _server.Client.GetAsync<V1PersistentVolumeClaim>(Ns, "data-demo-broker-2"));
        Assert.True(Conditions.IsTrue(c.Status!.Conditions, ConditionTypes.Ready), Ready(c).Message);
        Assert.Equal(2, c.Status.Brokers!.Count);
    }

    [Fact]
    public async Task Scale_up_rebalances_onto_the_new_brokers_once_they_are_ready()
    {
        _kafka.Seed("orders", 1, [0, 1], [1, 2], [2, 0], [0, 2], [1, 0], [2, 1]);
        await RunningClusterAsync(controllers: 3, edit: c => c.Spec.Rebalance = new RebalanceSpec { ThrottleBytesPerSecond = 1_000_000 });

        await EditAsync(c => c.Spec.Replicas = 5);
        var c = await ReconcileAsync();
        Assert.Equal(5, (await StsAsync()).Spec!.Replicas);
        Assert.Equal("Pending", c.Status!.Rebalance!.State);
        Assert.Equal([3, 4], c.Status.Rebalance.Brokers);
        Assert.Equal(["broker,controller", "broker,controller", "broker,controller", "broker", "broker"], c.Status.Brokers!.Select(b => b.Roles));
        Assert.Empty(_kafka.Moves);

        await RunPodsAsync();
        _kafka.Brokers = [0, 1, 2, 3, 4];
        c = await ReconcileAsync();
        Assert.Equal("Running", c.Status!.Rebalance!.State);
        Assert.NotEmpty(_kafka.Moves);
        Assert.Equal(1_000_000, _kafka.LastThrottle);
        Assert.True(Conditions.IsTrue(c.Status.Conditions, ClusterReconciler.RebalancingCondition));
        Assert.Equal(_kafka.Moves.Count, c.Status.Rebalance.PartitionsLeft);

        _kafka.CompleteReassignments();
        c = await ReconcileAsync();
        Assert.Equal("Completed", c.Status!.Rebalance!.State);
        Assert.False(Conditions.IsTrue(c.Status.Conditions, ClusterReconciler.RebalancingCondition));
        Assert.True(c.Status.Brokers![3].Replicas > 0 && c.Status.Brokers[4].Replicas > 0);
        Assert.True(Conditions.IsTrue(c.Status.Conditions, ConditionTypes.Ready), Ready(c).Message);
    }

    [Fact]
    public async Task Dry_run_publishes_the_plan_without_acting_and_the_operator_then_does_it()
    {
        _kafka.ActiveController = 0;
        await RunningClusterAsync();
        await EditAsync(c =>
        {
            c.Metadata.Annotations = new Dictionary<string, string> { [ClusterNames.DryRunAnnotation] = "true" };
            c.Spec.Config = new() { ["auto.create.topics.enable"] = "false", ["log.retention.ms"] = "1000" };
        });
        var stsBefore = (await StsAsync()).Metadata.ResourceVersion;
        var c = await ReconcileAsync();
        Assert.Equal(["demo-broker-1", "demo-broker-2", "demo-broker-0"], c.Status!.Plan!.Roll);
        Assert.Equal(["log.retention.ms=1000"], c.Status.Plan.DynamicConfig);
        Assert.Equal(stsBefore, (await StsAsync()).Metadata.ResourceVersion);
        Assert.Empty(_kafka.Defaults);

        await EditAsync(c => c.Metadata.Annotations!.Remove(ClusterNames.DryRunAnnotation));
        c = await ReconcileAsync();
        Assert.Null(c.Status!.Plan);
        Assert.Equal("1000", _kafka.Defaults["log.retention.ms"]);
        await RunPodsAsync();
        c = await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-2"], await PodNamesAsync()); // the plan's first pod
        Assert.Equal([2, 0], c.Status!.Roll!.Pending);
    }
}
