using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

/// <summary>
/// KafkaTopic replication factor changes through reassignments, and the replicas-in-sync status, against the
/// in-process API server and the fake admin (whose reassignments stay in progress until the test completes them).
/// </summary>
public sealed class TopicReplicationFactorTests : IAsyncLifetime
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

    private async Task CreateTopicAsync(string name, int partitions, int rf)
    {
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = partitions, ReplicationFactor = rf } };
        t.Metadata.Name = name;
        t.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(t);
    }

    private async Task EditAsync(string name, Action<KafkaTopicSpec> edit)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        edit(t.Spec);
        await _server.Client.ReplaceAsync(t);
    }

    private async Task<(KafkaTopic Topic, ReconcileOutcome Result)> ReconcileAsync(string name)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return ((await _server.Client.GetAsync<KafkaTopic>(Ns, name))!, new ReconcileOutcome(result.RequeueAfter));
    }

    private sealed record ReconcileOutcome(TimeSpan? RequeueAfter);

    private static StatusCondition Ready(KafkaTopic t) => Conditions.Find(t.Status?.Conditions, ConditionTypes.Ready)!;

    [Fact]
    public async Task Growing_the_replication_factor_reassigns_waits_for_the_moves_then_grows_partitions()
    {
        await CreateTopicAsync("orders", 3, 1);
        await ReconcileAsync("orders");
        var (t, _) = await ReconcileAsync("orders");
        Assert.Equal("3/3", t.Status!.InSyncPartitions);
        Assert.Equal(1, t.Status.ReplicationFactor);

        // RF and partitions changed together: the replicas first, the new partitions once they are settled.
        await EditAsync("orders", s => { s.ReplicationFactor = 3; s.Partitions = 4; });
        _admin.Mutations.Clear();
        (t, var result) = await ReconcileAsync("orders");
        Assert.Equal(3, _admin.Mutations.Count(m => m.StartsWith("reassign ", StringComparison.Ordinal)));
        var kafka = _admin.Get("orders")!;
        for (var p = 0; p < 3; p++)
        {
            // Replicas are only added, after the existing one (the preferred leader stays first).
            Assert.Equal(kafka.Replicas[p][0], kafka.Targets[p][0]);
            Assert.Equal(3, kafka.Targets[p].Distinct().Count());
        }
        Assert.Equal("False", Ready(t).Status);
        Assert.Equal(TopicReconciler.ReplicationFactorChanging, Ready(t).Reason);
        Assert.Contains("0/3 partitions done, 3 moving", Ready(t).Message, StringComparison.Ordinal);
        Assert.Equal("0/3", t.Status!.InSyncPartitions);
        Assert.Equal([0, 1, 2], t.Status.UnderReplicatedPartitions);
        Assert.Equal(_reconciler.ReassignmentPollInterval, result.RequeueAfter);
        Assert.Single(_events.Events, e => e.Reason == TopicReconciler.ReplicationFactorChanging);
        Assert.Equal(3, kafka.Partitions);

        // Still moving: nothing is requested again.
        _admin.Mutations.Clear();
        (t, _) = await ReconcileAsync("orders");
        Assert.Empty(_admin.Mutations);
        Assert.Equal(TopicReconciler.ReplicationFactorChanging, Ready(t).Reason);

        _admin.CompleteReassignments();
        (t, _) = await ReconcileAsync("orders");
        Assert.Equal("True", Ready(t).Status);
        Assert.Equal(3, t.Status!.ReplicationFactor);
        Assert.Single(_events.Events, e => e.Reason == "ReplicationFactorChanged");
        Assert.Equal(4, kafka.Partitions);
        Assert.All(kafka.Replicas, r => Assert.Equal(3, r.Count));
        // Each broker got one of the new replicas per partition added, none twice for one partition.
        Assert.Equal([3, 3, 3], kafka.Replicas.Take(3).SelectMany(r => r).GroupBy(b => b).OrderBy(g => g.Key).Select(g => g.Count()));

        (t, result) = await ReconcileAsync("orders");
        Assert.Equal("4/4", t.Status!.InSyncPartitions);
        Assert.Null(t.Status.UnderReplicatedPartitions);
        Assert.Equal(_reconciler.DriftCheckInterval, result.RequeueAfter);
    }

    [Fact]
    public async Task Shrinking_keeps_the_leader_and_removes_an_out_of_sync_replica_first()
    {
        _admin.Seed("payments", 2, 3);
        var kafka = _admin.Get("payments")!;
        // Partition 0: replicas [0,1,2], broker 1 out of the ISR.
        kafka.Isr[0] = [0, 2];
        await CreateTopicAsync("payments", 2, 3);
        var (t, result) = await ReconcileAsync("payments");
        Assert.Equal("True", Ready(t).Status);
        Assert.Equal("1/2", t.Status!.InSyncPartitions);
        Assert.Equal([0], t.Status.UnderReplicatedPartitions);
        Assert.Equal(_reconciler.UnderReplicatedRecheck, result.RequeueAfter);

        await EditAsync("payments", s => s.ReplicationFactor = 2);
        (t, _) = await ReconcileAsync("payments");
        Assert.Equal(TopicReconciler.ReplicationFactorChanging, Ready(t).Reason);
        Assert.Equal([0, 2], kafka.Targets[0]);
        Assert.Equal(2, kafka.Targets[1].Count);
        Assert.Contains(kafka.Isr[1][0], kafka.Targets[1]); // the leader stays
        Assert.Equal(2, t.Status!.ReplicationFactor);

        _admin.CompleteReassignments();
        (t, _) = await ReconcileAsync("payments");
        Assert.Equal("True", Ready(t).Status);
        Assert.Equal("2/2", t.Status!.InSyncPartitions);
        Assert.All(kafka.Replicas, r => Assert.Equal(2, r.Count));
    }

    [Fact]
    public async Task A_replication_factor_above_the_registered_brokers_changes_nothing()
    {
        _admin.Brokers = 2;
        _admin.Seed("clicks", 2, 1);
        await CreateTopicAsync("clicks", 2, 3);
        var (t, result) = await ReconcileAsync("clicks");
        Assert.Equal("False", Ready(t).Status);
        Assert.Equal("InvalidReplicationFactor", Ready(t).Reason);
        Assert.Contains("registered brokers (2)", Ready(t).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_admin.Mutations, m => m.StartsWith("reassign ", StringComparison.Ordinal));
        Assert.Equal(_reconciler.ClusterMissingRetry, result.RequeueAfter);
        Assert.Single(_events.Events, e => e.Reason == "InvalidReplicationFactor");

        // A third broker registers: the change goes ahead.
        _admin.Brokers = 3;
        (t, _) = await ReconcileAsync("clicks");
        Assert.Equal(TopicReconciler.ReplicationFactorChanging, Ready(t).Reason);
        Assert.Equal(2, _admin.Mutations.Count(m => m.StartsWith("reassign ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_rebalance_moving_the_topic_keeps_it_ready_and_a_lost_status_write_loses_no_change()
    {
        _admin.Seed("logs", 2, 2);
        var kafka = _admin.Get("logs")!;
        await CreateTopicAsync("logs", 2, 2);
        // A cluster rebalance moves partition 0 to other brokers, replica count unchanged.
        kafka.Targets[0] = [1, 2];
        var (t, _) = await ReconcileAsync("logs");
        Assert.Equal("True", Ready(t).Status);
        Assert.Equal([0], t.Status!.UnderReplicatedPartitions); // broker 2 is being added
        _admin.CompleteReassignments();

        // Moves that change the replica count started by a pass whose status write was lost: still a change in progress.
        await EditAsync("logs", s => s.ReplicationFactor = 3);
        kafka.Targets[0] = [1, 2, 0];
        kafka.Targets[1] = [1, 2, 0];
        (t, _) = await ReconcileAsync("logs");
        Assert.Equal(TopicReconciler.ReplicationFactorChanging, Ready(t).Reason);
        Assert.Contains("0/2 partitions done, 2 moving", Ready(t).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_admin.Mutations, m => m.StartsWith("reassign ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_planner_spreads_additions_by_load_and_never_removes_the_leader()
    {
        var loads = new Dictionary<int, int> { [0] = 10, [1] = 0, [2] = 5, [3] = 0 };
        var grow = ReplicationFactorPlanner.Plan(
            [new TopicPartitionReplicas(0, 0, [0], [0], [], []), new TopicPartitionReplicas(1, 2, [2], [2], [], [])], 2, loads);
        Assert.Equal([0, 1], grow[0]);
        Assert.Equal([2, 3], grow[1]);

        // Leader 3 is not the preferred replica: of the followers, the one on the busiest broker goes.
        var shrink = ReplicationFactorPlanner.Plan([new TopicPartitionReplicas(0, 3, [1, 3, 0], [1, 3, 0], [], [])], 1, loads);
        Assert.Equal([3], shrink[0]);
        shrink = ReplicationFactorPlanner.Plan([new TopicPartitionReplicas(0, 1, [1, 3, 0, 2], [1, 3, 0, 2], [], [])], 2, loads);
        Assert.Equal([1, 3], shrink[0]);
        // A replica on a broker that is no longer registered goes first.
        shrink = ReplicationFactorPlanner.Plan([new TopicPartitionReplicas(0, 1, [1, 9, 3], [1, 9, 3], [], [])], 2, loads);
        Assert.Equal([1, 3], shrink[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplicationFactorPlanner.Plan([], 5, loads));
    }
}
