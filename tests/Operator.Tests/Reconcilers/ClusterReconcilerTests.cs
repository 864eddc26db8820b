using k8s;
using k8s.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

public sealed class ClusterReconcilerTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private readonly MemoryEventSink _events = new();
    private ClusterReconciler _reconciler = null!;
    private readonly FakeClusterAdmin _kafka = new();

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _reconciler = new ClusterReconciler(_server.Client, _events, new ModelOptions(), NullLogger<ClusterReconciler>.Instance, _kafka);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<KafkaCluster> CreateAsync(string name = "demo", int replicas = 3)
    {
        var c = Samples.Cluster(name, replicas, Ns);
        c.Metadata.Uid = null;
        return await _server.Client.CreateAsync(c);
    }

    private async Task<KafkaCluster> ReconcileAsync(string name = "demo")
    {
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(c, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaCluster>(Ns, name))!;
    }

    /// <summary>Plays the StatefulSet controller and kubelet: pods from the current template at a revision.</summary>
    private async Task SetPodAsync(int ordinal, string revision, bool ready, string cluster = "demo")
    {
        var names = new ClusterNames(Samples.Cluster(cluster, 3, Ns));
        var template = (await _server.Client.GetAsync<V1StatefulSet>(Ns, names.StatefulSet))!.Spec!.Template.Metadata!;
        var pod = await _server.Client.GetAsync<V1Pod>(Ns, names.PodName(ordinal));
        if (pod is null)
        {
            pod = new V1Pod { Metadata = new V1ObjectMeta() };
            pod.Metadata.Name = names.PodName(ordinal);
            pod.Metadata.NamespaceProperty = Ns;
            pod.Metadata.Labels = new Dictionary<string, string>(template.Labels!) { ["controller-revision-hash"] = revision };
            pod.Metadata.Annotations = new Dictionary<string, string>(template.Annotations!);
            pod = await _server.Client.CreateAsync(pod);
        }
        else if (pod.Metadata.Labels!["controller-revision-hash"] != revision)
        {
            pod.Metadata.Labels["controller-revision-hash"] = revision;
            pod.Metadata.Annotations = new Dictionary<string, string>(template.Annotations!);
            pod = await _server.Client.ReplaceAsync(pod);
        }
        pod.Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] };
        await _server.Client.ReplaceStatusAsync(pod);
    }

    private async Task SetUpdateRevisionAsync(string revision, string cluster = "demo", bool observed = true)
    {
        var sts = (await _server.Client.GetAsync<V1StatefulSet>(Ns, cluster + "-broker"))!;
        sts.Status = new V1StatefulSetStatus
        {
            Replicas = 3,
            UpdateRevision = revision,
            CurrentRevision = revision,
            ObservedGeneration = observed ? sts.Metadata.Generation : sts.Metadata.Generation - 1,
        };
        await _server.Client.ReplaceStatusAsync(sts);
    }

    private async Task<List<string>> PodNamesAsync() =>
        (await _server.Client.ListAsync<V1Pod>(Ns)).Items.Select(p => p.Metadata.Name!).Order(StringComparer.Ordinal).ToList();

    private int Writes() => _server.Requests.Count(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE");

    [Fact]
    public async Task Create_makes_every_child_object_with_an_owner_reference()
    {
        var cluster = await CreateAsync();
        var c = await ReconcileAsync();

        foreach (var (kind, obj) in new (string, IKubernetesObject<V1ObjectMeta>?)[]
        {
            ("ConfigMap", await _server.Client.GetAsync<V1ConfigMap>(Ns, "demo-config")),
            ("Service", await _server.Client.GetAsync<V1Service>(Ns, "demo-brokers")),
            ("Service", await _server.Client.GetAsync<V1Service>(Ns, "demo-bootstrap")),
            ("StatefulSet", await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker")),
            ("PodDisruptionBudget", await _server.Client.GetAsync<V1PodDisruptionBudget>(Ns, "demo-broker")),
        })
        {
            Assert.True(obj is not null, $"{kind} missing");
            var owner = Assert.Single(obj.Metadata.OwnerReferences!);
            Assert.Equal(cluster.Metadata.Uid, owner.Uid);
            Assert.True(owner.Controller);
        }
        var sts = (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!;
        Assert.Equal(3, sts.Spec!.Replicas);
        Assert.Equal("OnDelete", sts.Spec.UpdateStrategy!.Type);

        Assert.Equal(c.Metadata.Generation, c.Status!.ObservedGeneration);
        Assert.Equal("demo-bootstrap.kafka.svc:9092", c.Status.BootstrapServers);
        Assert.Equal(0, c.Status.ReadyBrokers);
        Assert.Equal("False", Conditions.Find(c.Status.Conditions, ConditionTypes.Ready)!.Status);
        Assert.Equal("True", Conditions.Find(c.Status.Conditions, ConditionTypes.Reconciling)!.Status);
        Assert.Equal(22, c.Status.ClusterId!.Length);
    }

    [Fact]
    public async Task Steady_state_reconcile_writes_nothing()
    {
        await CreateAsync();
        await ReconcileAsync();
        await ReconcileAsync();
        var before = Writes();
        await ReconcileAsync();
        Assert.Equal(before, Writes());
    }

    [Fact]
    public async Task Steady_state_writes_nothing_although_the_server_normalises_quantities()
    {
        var c = Samples.Cluster("demo", 3, Ns);
        c.Metadata.Uid = null;
        c.Spec.Resources = System.Text.Json.Nodes.JsonNode.Parse("""{"requests":{"cpu":"0.5","memory":"1Gi"},"limits":{"cpu":"1000m"}}""")!.AsObject();
        c.Spec.Storage = new KafkaStorage { Size = "10Gi" };
        await _server.Client.CreateAsync(c);
        await ReconcileAsync();
        var stored = _server.GetStored("apps", "statefulsets", Ns, "demo-broker")!;
        Assert.Equal("500m", (string?)stored["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["requests"]!["cpu"]);
        Assert.Equal("1", (string?)stored["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["cpu"]);

        var before = Writes();
        await ReconcileAsync();
        await ReconcileAsync();
        Assert.Equal(before, Writes());

        // A change by someone else is put back by the next pass, and then it is quiet again.
        var sts = (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!;
        sts.Spec.Template.Spec.Containers[0].Resources.Requests["cpu"] = new ResourceQuantity("2");
        await _server.Client.ReplaceAsync(sts);
        await ReconcileAsync();
        Assert.Equal("500m", (string?)_server.GetStored("apps", "statefulsets", Ns, "demo-broker")!["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["requests"]!["cpu"]);
        before = Writes();
        await ReconcileAsync();
        Assert.Equal(before, Writes());
    }

    [Fact]
    public async Task Spec_change_patches_children_and_rolls_the_config_hash()
    {
        await CreateAsync();
        await ReconcileAsync();
        var hashBefore = (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!.Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation];

        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        c.Spec.Config = new() { ["auto.create.topics.enable"] = "false" };
        await _server.Client.ReplaceAsync(c);
        c = await ReconcileAsync();

        var cm = (await _server.Client.GetAsync<V1ConfigMap>(Ns, "demo-config"))!;
        Assert.Contains("auto.create.topics.enable=false", cm.Data!["server.properties"], StringComparison.Ordinal);
        var sts = (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!;
        Assert.NotEqual(hashBefore, sts.Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation]);
        Assert.Equal(c.Metadata.Generation, c.Status!.ObservedGeneration);
        Assert.Equal(3, c.Status.Brokers!.Count);
    }

    [Fact]
    public async Task Changing_the_controller_count_of_a_running_cluster_is_refused_without_touching_the_voters()
    {
        await CreateAsync(replicas: 3);
        await ReconcileAsync();
        var propertiesBefore = (await _server.Client.GetAsync<V1ConfigMap>(Ns, "demo-config"))!.Data!["server.properties"];
        Assert.Equal(3, Voters(propertiesBefore).Length);

        // The in-process API server does not evaluate CEL: this is the change admission refuses, bypassed.
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        c.Spec.Controllers = 5;
        c.Spec.Replicas = 5;
        await _server.Client.ReplaceAsync(c);
        c = await ReconcileAsync();

        // The brokers grow (as broker-only nodes); the voters stay the three that run.
        Assert.Equal(5, (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!.Spec!.Replicas);
        var properties = (await _server.Client.GetAsync<V1ConfigMap>(Ns, "demo-config"))!.Data!["server.properties"];
        Assert.Equal(3, Voters(properties).Length);
        Assert.Equal(3, c.Status!.Controllers);
        var ready = Conditions.Find(c.Status.Conditions, ConditionTypes.Ready)!;
        Assert.Equal("False", ready.Status);
        Assert.Equal("ControllersChangeNotSupported", ready.Reason);

        // Setting the count back resumes normal reconciliation.
        c.Spec.Controllers = 3;
        await _server.Client.ReplaceAsync(c);
        c = await ReconcileAsync();
        Assert.NotEqual("ControllersChangeNotSupported", Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!.Reason);
    }

    [Fact]
    public async Task A_statefulset_scaled_by_hand_without_pods_is_scaled_back()
    {
        await CreateAsync(replicas: 3);
        await ReconcileAsync();
        var sts = (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!;
        sts.Spec!.Replicas = 5;
        await _server.Client.ReplaceAsync(sts);

        var c = await ReconcileAsync();

        Assert.Equal(3, (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!.Spec!.Replicas);
        Assert.Equal(3, c.Status!.Brokers!.Count);
    }

    private static string[] Voters(string serverProperties) =>
        serverProperties.Split('\n').Single(l => l.StartsWith("controller.quorum.voters=", StringComparison.Ordinal))
            ["controller.quorum.voters=".Length..].Split(',');

    [Fact]
    public async Task Status_reports_ready_brokers_from_the_pods()
    {
        await CreateAsync();
        await ReconcileAsync();
        await SetUpdateRevisionAsync("r1");
        await SetPodAsync(0, "r1", ready: true);
        await SetPodAsync(1, "r1", ready: true);
        await SetPodAsync(2, "r1", ready: false);

        var c = await ReconcileAsync();
        Assert.Equal(2, c.Status!.ReadyBrokers);
        Assert.Equal([true, true, false], c.Status.Brokers!.Select(b => b.Ready));
        Assert.Equal("BrokersNotReady", Conditions.Find(c.Status.Conditions, ConditionTypes.Ready)!.Reason);

        await SetPodAsync(2, "r1", ready: true);
        c = await ReconcileAsync();
        Assert.Equal(3, c.Status!.ReadyBrokers);
        Assert.True(Conditions.IsTrue(c.Status.Conditions, ConditionTypes.Ready));
        Assert.False(Conditions.IsTrue(c.Status.Conditions, ConditionTypes.Reconciling));
    }

    [Fact]
    public async Task Config_change_rolls_one_broker_at_a_time_waiting_for_ready()
    {
        _kafka.ActiveController = 2; // rolled last
        await CreateAsync();
        await ReconcileAsync();
        await SetUpdateRevisionAsync("r1");
        for (var i = 0; i < 3; i++)
        {
            await SetPodAsync(i, "r1", ready: true);
        }
        Assert.True(Conditions.IsTrue((await ReconcileAsync()).Status!.Conditions, ConditionTypes.Ready));

        // The template changed: the StatefulSet controller reports a new revision, pods keep the old one (OnDelete).
        await SetUpdateRevisionAsync("r2");
        var c = await ReconcileAsync();
        Assert.Equal(["demo-broker-1", "demo-broker-2"], await PodNamesAsync());
        Assert.Equal("RollingUpdate", Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!.Reason);

        // Broker 0 is missing: nothing else may be rolled.
        await ReconcileAsync();
        Assert.Equal(["demo-broker-1", "demo-broker-2"], await PodNamesAsync());

        // It comes back at the new revision but not Ready yet: still wait.
        await SetPodAsync(0, "r2", ready: false);
        await ReconcileAsync();
        Assert.Equal(3, (await PodNamesAsync()).Count);

        await SetPodAsync(0, "r2", ready: true);
        await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-2"], await PodNamesAsync());

        await SetPodAsync(1, "r2", ready: true);
        await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-1"], await PodNamesAsync());

        await SetPodAsync(2, "r2", ready: true);
        c = await ReconcileAsync();
        Assert.True(Conditions.IsTrue(c.Status!.Conditions, ConditionTypes.Ready));
        Assert.All(c.Status.Brokers!, b => Assert.True(b.UpToDate));
        Assert.Equal(3, _events.Events.Count(e => e.Reason == "RollingBroker"));
    }

    [Fact]
    public async Task Status_write_conflict_is_retried()
    {
        await CreateAsync();
        _server.InjectFailures(2, 409, "PUT", "/status");
        var c = await ReconcileAsync();
        Assert.NotNull(c.Status);
        Assert.Equal(c.Metadata.Generation, c.Status.ObservedGeneration);
    }

    [Fact]
    public async Task Operator_owned_config_keys_are_rejected_without_touching_children()
    {
        var c = Samples.Cluster("bad", 3, Ns);
        c.Metadata.Uid = null;
        c.Spec.Config = new() { ["listeners"] = "PLAINTEXT://:1" };
        await _server.Client.CreateAsync(c);
        c = await ReconcileAsync("bad");
        var ready = Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!;
        Assert.Equal("InvalidConfig", ready.Reason);
        Assert.Contains("listeners", ready.Message, StringComparison.Ordinal);
        Assert.Null(await _server.Client.GetAsync<V1StatefulSet>(Ns, "bad-broker"));
    }

    [Fact]
    public async Task A_single_broker_cluster_deletes_a_leftover_disruption_budget()
    {
        // The broker count of a running cluster cannot change, so the budget of a multi-broker model stands in for
        // one left behind (e.g. by an earlier operator version).
        var cluster = await CreateAsync(replicas: 1);
        var leftover = ClusterModel.Build(Samples.Cluster("demo", 3, Ns), new ModelOptions()).Single(o => o.Kind == "PodDisruptionBudget");
        var pdb = OperatorJson.FromNode<V1PodDisruptionBudget>(leftover.Body);
        pdb.Metadata.OwnerReferences![0].Uid = cluster.Metadata.Uid!;
        await _server.Client.CreateAsync(pdb);
        await ReconcileAsync();
        Assert.Null(await _server.Client.GetAsync<V1PodDisruptionBudget>(Ns, "demo-broker"));
        Assert.Equal(1, (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!.Spec!.Replicas);
    }

    [Fact]
    public async Task A_change_the_api_rejects_is_reported_instead_of_retried_forever()
    {
        await CreateAsync();
        await ReconcileAsync();
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        c.Spec.Storage = new KafkaStorage { Size = "20Gi" };
        await _server.Client.ReplaceAsync(c);
        // A real API server refuses volumeClaimTemplates changes on an existing StatefulSet with 422.
        _server.InjectFailures(1, 422, "PATCH", "/statefulsets/demo-broker");
        c = await ReconcileAsync();
        var ready = Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!;
        Assert.Equal("InvalidSpec", ready.Reason);
        Assert.Contains("StatefulSet demo-broker", ready.Message, StringComparison.Ordinal);
        Assert.Contains(_events.Events, e => e.Reason == "InvalidSpec" && e.Type == EventTypes.Warning);
    }

    [Fact]
    public async Task Config_change_waits_for_the_statefulset_controller_then_rolls()
    {
        await CreateAsync();
        await ReconcileAsync();
        await SetUpdateRevisionAsync("r1");
        for (var i = 0; i < 3; i++)
        {
            await SetPodAsync(i, "r1", ready: true);
        }
        Assert.True(Conditions.IsTrue((await ReconcileAsync()).Status!.Conditions, ConditionTypes.Ready));

        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        c.Spec.Config = new() { ["log.retention.hours"] = "1" };
        await _server.Client.ReplaceAsync(c);
        // The template (and its config hash) changes; the StatefulSet controller has not caught up yet.
        c = await ReconcileAsync();
        Assert.Equal(3, (await PodNamesAsync()).Count);
        var ready = Conditions.Find(c.Status!.Conditions, ConditionTypes.Ready)!;
        Assert.Equal("RollingUpdate", ready.Reason);
        Assert.Contains("StatefulSet controller", ready.Message, StringComparison.Ordinal);
        Assert.All(c.Status.Brokers!, b => Assert.False(b.UpToDate));

        // Broker-only and non-active controllers first: the active controller (0 here) goes last.
        await SetUpdateRevisionAsync("r2");
        await ReconcileAsync();
        Assert.Equal(["demo-broker-0", "demo-broker-2"], await PodNamesAsync());
    }
}
