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
/// The cluster reconciler with its Kafka side real: three broker processes behind the test kubelet, the operator's
/// KafkaTopicAdmin, the in-process API server. A roll asked for with the restart annotation, under an idempotent
/// acks=all producer on an RF 3, min.insync.replicas=2 topic (librdkafka, and the project's .NET producer on a second
/// topic): every broker restarted once, one at a time, the active controller last, and no send of either failed.
/// </summary>
public sealed class ClusterRollRealBrokerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private TestKubelet _kubelet = null!;
    private readonly KafkaTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private ClusterReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _kubelet = await TestKubelet.StartAsync(_server.Client, Ns, "demo", 3, new Dictionary<string, string>
        {
            ["default.replication.factor"] = "3",
            ["min.insync.replicas"] = "2",
            ["offsets.topic.replication.factor"] = "3",
        });
        _reconciler = new ClusterReconciler(_server.Client, _events, new ModelOptions(), NullLogger<ClusterReconciler>.Instance, _admin,
            new ClusterOperationsOptions { Bootstrap = _ => _kubelet.Bootstrap, BrokerReadyTimeout = TimeSpan.FromMinutes(2) });
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _kubelet.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>Reconciles (as the controller's requeues would) until the cluster's status satisfies the condition.</summary>
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
            if (done(last))
            {
                return true;
            }
            await Task.Delay(200);
            return false;
        }, $"{what} (last Ready condition: {Conditions.Find(last?.Status?.Conditions, ConditionTypes.Ready)?.Message})", timeout);
        return last!;
    }

    [Fact]
    public async Task A_roll_under_acks_all_load_restarts_every_broker_once_with_no_failed_send()
    {
        var cluster = Samples.Cluster("demo", 3, Ns);
        cluster.Metadata.Uid = null;
        cluster.Spec.Config = new() { ["min.insync.replicas"] = "2" };
        await _server.Client.CreateAsync(cluster);
        var c = await ReconcileUntilAsync(c => Conditions.IsTrue(c.Status?.Conditions, ConditionTypes.Ready), "the cluster Ready", TimeSpan.FromSeconds(60));
        Assert.Equal(3, c.Status?.Kafka?.Voters?.Count);

        await using var admin = await KafkaAdminClient.ConnectAsync(_kubelet.Bootstrap);
        Assert.Null((await admin.CreateTopicAsync("load", 3, 3)).Error);
        var stop = Path.Combine(Path.GetTempPath(), "ko-operator-load-" + Guid.NewGuid().ToString("N"));
        using var load = RunningScript.Start(ServerPaths.Python,
            [Path.Combine(ServerPaths.PythonDir, "operator_load.py"), _kubelet.Bootstrap, "load", "500", "200", stop]);
        await load.WaitForLineAsync("ACKED", TimeSpan.FromSeconds(60));
        Assert.Null((await admin.CreateTopicAsync("load-net", 3, 3)).Error);
        using var stopNet = new CancellationTokenSource();
        var netLoad = Task.Run(() => ProduceUntilAsync("load-net", stopNet.Token));

        await using var described = await KafkaAdminClient.ConnectAsync(_kubelet.Bootstrap);
        var activeController = (await described.DescribeQuorumAsync()).LeaderId;
        var restart = (await _server.Client.GetAsync<KafkaCluster>(Ns, "demo"))!;
        restart.Metadata.Annotations = new Dictionary<string, string> { [ClusterNames.RestartAnnotation] = "roll-1" };
        await _server.Client.ReplaceAsync(restart);

        c = await ReconcileUntilAsync(c => _events.Events.Count(e => e.Reason == "RollingBroker") == 3 && c.Status?.Roll is null
            && Conditions.IsTrue(c.Status?.Conditions, ConditionTypes.Ready), "the roll finished", TimeSpan.FromMinutes(3));
        await File.WriteAllTextAsync(stop, "");
        await stopNet.CancelAsync();
        var (netAcked, netFailures) = await netLoad.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(0, await load.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        File.Delete(stop);
        using var summary = System.Text.Json.JsonDocument.Parse(load.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var acked = summary.RootElement.GetProperty("acked").GetInt64();

        var rolled = _events.Events.Where(e => e.Reason == "RollingBroker").Select(e => e.Message).ToList();
        output.WriteLine(string.Join('\n', rolled));
        output.WriteLine(summary.RootElement.GetRawText());
        Assert.Equal([1, 1, 1], _kubelet.Restarts);
        Assert.Contains($"broker {activeController} ", rolled[^1], StringComparison.Ordinal);
        Assert.Equal(0, summary.RootElement.GetProperty("failed").GetInt32());
        Assert.Equal(0, summary.RootElement.GetProperty("undelivered").GetInt32());
        Assert.True(acked > 1000, $"only {acked} records acknowledged");
        Assert.All(c.Status!.Brokers!, b => Assert.True(b.UpToDate));
        Assert.Equal(0, c.Status.Kafka!.UnderReplicatedPartitions);

        // Every acknowledged record is there once (idempotent producer: retries do not duplicate).
        var ends = await described.ListTopicOffsetsAsync("load", OffsetSpec.Latest);
        Assert.Equal(acked, ends.Sum(e => e.Offset));
        output.WriteLine($".NET producer: {netAcked} acknowledged, failures: {string.Join("; ", netFailures)}");
        Assert.Empty(netFailures);
        Assert.True(netAcked > 100, $"the .NET producer had only {netAcked} records acknowledged");
        Assert.Equal(netAcked, (await described.ListTopicOffsetsAsync("load-net", OffsetSpec.Latest)).Sum(e => e.Offset));
    }

    /// <summary>
    /// The project's own idempotent acks=all producer (KafkaOperator.Client), up to 5 sends in flight round-robin over
    /// the partitions, about 200 a second, until stopped; returns the acknowledged count and every failed send's error.
    /// </summary>
    private async Task<(long Acked, List<string> Failures)> ProduceUntilAsync(string topic, CancellationToken stop)
    {
        await using var producer = await KafkaOperator.Client.Producer.KafkaProducer.ConnectAsync(
            KafkaOperator.Client.KafkaClientOptions.For(_kubelet.Bootstrap.Split(',')),
            new KafkaOperator.Client.Producer.KafkaProducerOptions { Acks = -1, EnableIdempotence = true, Linger = TimeSpan.FromMilliseconds(2) });
        long acked = 0;
        var failures = new List<string>();
        var inFlight = new List<Task>();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            inFlight.Add(producer.ProduceAsync(topic, i % 3, null, System.Text.Encoding.UTF8.GetBytes($"net-{i}")));
            if (i % 10 == 9)
            {
                await Task.Delay(50, CancellationToken.None); // paces the load at about 200 records/s, as the librdkafka one
            }
            if (inFlight.Count < 5)
            {
                continue;
            }
            var done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            Tally(done);
        }
        foreach (var t in inFlight)
        {
            await Task.WhenAny(t);
            Tally(t);
        }
        return (acked, failures);

        void Tally(Task t)
        {
            if (t.IsCompletedSuccessfully)
            {
                acked++;
            }
            else
            {
                failures.Add(t.Exception?.InnerException?.Message ?? "cancelled");
            }
        }
    }
}
