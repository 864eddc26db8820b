using System.Collections.Concurrent;
using System.Text.Json;
using k8s.Models;
using KafkaOperator.Client.Admin;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using RunningScript = KafkaOperator.Server.Tests.Infrastructure.RunningScript;
using ServerPaths = KafkaOperator.Server.Tests.Infrastructure.RepoPaths;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// Scale 3 → 5 → 3 with the Kafka side real: three voters and, from the scale-up on, two broker-only processes
/// behind the test kubelet, an idempotent acks=all librdkafka producer and a librdkafka consumer group running
/// throughout. The scale-up rebalances replicas and leaders onto the new brokers (status shows it); the scale-down
/// drains the leaving brokers before their pods go; no acknowledged record is lost or written twice, no send fails,
/// and the group reads everything.
/// </summary>
public sealed class ClusterScaleRealBrokerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "kafka";
    private const string Topic = "load";
    private const string Group = "scale-readers";
    private FakeApiServer _server = null!;
    private TestKubelet _kubelet = null!;
    private readonly KafkaTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private ClusterReconciler _reconciler = null!;
    private readonly string _work = Path.Combine(Path.GetTempPath(), "ko-operator-scale-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        _server = await FakeApiServer.StartAsync();
        _kubelet = await TestKubelet.StartAsync(_server.Client, Ns, "demo", 3, new Dictionary<string, string>
        {
            ["default.replication.factor"] = "3",
            ["min.insync.replicas"] = "2",
            ["offsets.topic.replication.factor"] = "3",
            ["offsets.topic.num.partitions"] = "6", // fewer partitions to move: the test is about correctness, not volume
        }, controllers: 3, capacity: 5);
        _reconciler = new ClusterReconciler(_server.Client, _events, new ModelOptions(), NullLogger<ClusterReconciler>.Instance, _admin,
            new ClusterOperationsOptions { Bootstrap = _ => _kubelet.Bootstrap, BrokerReadyTimeout = TimeSpan.FromMinutes(2) });
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _kubelet.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private async Task<KafkaCluster> ReconcileUntilAsync(Func<KafkaCluster, bool> done, string what, TimeSpan timeout)
    {
        KafkaCluster? last = null;
        await Poll.UntilAsync(async () =>
        {
            Assert.Null(_kubelet.Failure);
            var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
            var result = await _reconciler.ReconcileAsync(c, CancellationToken.None);
            Assert.True(result.Succeeded, result.Error);
            last = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
            if (Conditions.Find(last.Status?.Conditions, ClusterReconciler.RebalancingCondition) is { Status: "True" } rebalancing)
            {
                _rebalancingSeen.Add(rebalancing.Reason ?? "");
            }
            if (done(last))
            {
                return true;
            }
            await Task.Delay(200);
            return false;
        }, $"{what} (last Ready condition: {Conditions.Find(last?.Status?.Conditions, ConditionTypes.Ready)?.Message}; rebalance: {JsonSerializer.Serialize(last?.Status?.Rebalance)})", timeout);
        return last!;
    }

    private readonly ConcurrentBag<string> _rebalancingSeen = [];

    private async Task ScaleAsync(int replicas)
    {
        var c = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        c.Spec.Replicas = replicas;
        await _server.Client.ReplaceAsync(c);
    }

    private static bool Ready(KafkaCluster c) => Conditions.IsTrue(c.Status?.Conditions, ConditionTypes.Ready);

    [Fact]
    public async Task Scale_3_to_5_to_3_under_acks_all_load_and_a_consumer_group_loses_nothing()
    {
        var cluster = Samples.Cluster("demo", 3, Ns);
        cluster.Metadata.Uid = null;
        cluster.Spec.Controllers = 3;
        cluster.Spec.Config = new() { ["min.insync.replicas"] = "2" };
        await _server.Client.CreateAsync(cluster);
        await ReconcileUntilAsync(Ready, "the cluster Ready", TimeSpan.FromSeconds(90));

        await using var admin = await KafkaAdminClient.ConnectAsync(_kubelet.Bootstrap);
        Assert.Null((await admin.CreateTopicAsync(Topic, 6, 3)).Error);
        var stop = Path.Combine(_work, "stop-load");
        var acks = Path.Combine(_work, "acks");
        var stopReaders = Path.Combine(_work, "stop-readers");
        using var load = RunningScript.Start(ServerPaths.Python,
            [Path.Combine(ServerPaths.PythonDir, "operator_load.py"), _kubelet.Bootstrap, Topic, "200", "200", stop, acks]);
        using var reader = RunningScript.Start(ServerPaths.Python,
            [Path.Combine(ServerPaths.PythonDir, "group_member.py"), _kubelet.Bootstrap, Group, Topic, "10000", stopReaders]);
        await load.WaitForLineAsync("ACKED", TimeSpan.FromSeconds(90));
        await reader.WaitForLineAsync("MSG", TimeSpan.FromSeconds(90));

        // Scale up: the new brokers start, register, and receive replicas and leaders from the rebalance.
        await ScaleAsync(5);
        var c = await ReconcileUntilAsync(c => c.Status?.Rebalance is { Kind: ClusterReconciler.RebalanceScaleUp, State: "Completed" } && Ready(c)
            && c.Status.Brokers!.Count == 5 && c.Status.Brokers.Skip(3).All(b => b.Leaders > 0),
            "the scale-up rebalanced with leaders on the new brokers", TimeSpan.FromMinutes(4));
        output.WriteLine("after scale-up: " + JsonSerializer.Serialize(c.Status!.Brokers));
        Assert.Equal([3, 4], c.Status.Rebalance!.Brokers);
        Assert.True(c.Status.Rebalance.PartitionsMoved > 0);
        Assert.Contains(_events.Events, e => e.Reason == "RebalanceStarted" && e.Message.Contains("ScaleUp", StringComparison.Ordinal));
        Assert.Contains(_events.Events, e => e.Reason == "RebalanceCompleted" && e.Message.Contains("ScaleUp", StringComparison.Ordinal));
        Assert.Contains("Running", _rebalancingSeen);
        Assert.All(c.Status.Brokers!.Skip(3), b => Assert.True(b.Replicas > 0, $"broker {b.Id} holds no replica"));
        Assert.Equal(0, c.Status.Kafka!.UnderReplicatedPartitions);

        // Scale down: brokers 4 then 3 go, each only once it holds no replica.
        var hostedAtRemoval = new ConcurrentDictionary<int, List<string>>();
        _kubelet.BeforePodRemoved = async ordinal =>
        {
            await using var probe = await KafkaAdminClient.ConnectAsync(_kubelet.Bootstrap);
            var topics = await probe.DescribeAllTopicsAsync(includeInternal: true);
            hostedAtRemoval[ordinal] = topics.SelectMany(t => t.Partitions.Where(p => p.Replicas.Contains(ordinal)).Select(p => $"{t.Name}-{p.Partition}")).ToList();
        };
        await ScaleAsync(3);
        c = await ReconcileUntilAsync(c => _kubelet.Removed.Count == 2 && Ready(c) && c.Status?.Brokers?.Count == 3,
            "the scale-down drained and removed brokers 4 and 3", TimeSpan.FromMinutes(4));
        Assert.Equal([4, 3], _kubelet.Removed);
        Assert.All(hostedAtRemoval, kv => Assert.True(kv.Value.Count == 0, $"broker {kv.Key} still held {string.Join(", ", kv.Value)} when its pod went"));
        Assert.Equal(2, hostedAtRemoval.Count);
        Assert.Equal(ClusterReconciler.RebalanceScaleDown, c.Status!.Rebalance!.Kind);
        Assert.Equal("Completed", c.Status.Rebalance.State);
        Assert.Equal(3, (await _server.Client.GetAsync<V1StatefulSet>(Ns, "demo-broker"))!.Spec!.Replicas);
        Assert.All((await admin.DescribeAllTopicsAsync(includeInternal: true)).SelectMany(t => t.Partitions),
            p => Assert.True(p.Replicas.All(r => r < 3) && p.Isr.Count == 3, $"partition {p.Partition}: replicas [{string.Join(",", p.Replicas)}], ISR [{string.Join(",", p.Isr)}]"));

        // The producer: nothing failed, every acknowledged record is in the log once at its offset.
        await File.WriteAllTextAsync(stop, "");
        Assert.Equal(0, await load.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        using var summary = JsonDocument.Parse(load.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        output.WriteLine(summary.RootElement.GetRawText());
        Assert.Equal(0, summary.RootElement.GetProperty("failed").GetInt32());
        Assert.Equal(0, summary.RootElement.GetProperty("undelivered").GetInt32());
        using (var verify = RunningScript.Start(ServerPaths.Python,
            [Path.Combine(ServerPaths.PythonDir, "durability_verify.py"), _kubelet.Bootstrap, Topic, $"load={acks}"]))
        {
            Assert.Equal(0, await verify.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            using var verdict = JsonDocument.Parse(verify.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
            output.WriteLine(verdict.RootElement.GetRawText());
            Assert.True(verdict.RootElement.GetProperty("ok").GetBoolean(), verdict.RootElement.GetRawText());
            Assert.Equal(summary.RootElement.GetProperty("acked").GetInt64(), verdict.RootElement.GetProperty("acked").GetProperty("load").GetInt64());
            Assert.Equal(summary.RootElement.GetProperty("acked").GetInt64(), verdict.RootElement.GetProperty("in_log").GetProperty("load").GetInt64());
        }

        // The group: it has read up to every partition's end and committed it.
        var ends = (await admin.ListTopicOffsetsAsync(Topic, OffsetSpec.Latest)).ToDictionary(e => e.Partition.Partition, e => e.Offset);
        await Poll.UntilAsync(async () =>
        {
            var committed = await admin.ListGroupOffsetsAsync(Group, ends.Keys.Select(p => new TopicPartition(Topic, p)));
            return committed.All(o => o.Succeeded && o.Offset == ends[o.Partition.Partition]);
        }, "the group's commits reaching the log end", TimeSpan.FromMinutes(2));
        await File.WriteAllTextAsync(stopReaders, "");
        await reader.WaitForLineAsync("CLOSED", TimeSpan.FromMinutes(1));
        var read = reader.Stdout.Split('\n').Where(l => l.StartsWith("MSG ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).Select(f => (Partition: int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), Offset: long.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();
        Assert.All(ends, e => Assert.True(Enumerable.Range(0, (int)e.Value).All(o => read.Contains((e.Key, o))), $"partition {e.Key}: the group missed records below {e.Value}"));
    }
}
