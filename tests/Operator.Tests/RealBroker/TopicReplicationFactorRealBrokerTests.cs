using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Producer;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// A KafkaTopic's replication factor changed 1 → 3 → 2 on three real broker processes, through the operator's
/// KafkaTopicAdmin (AlterPartitionReassignments, ListPartitionReassignments): each step ends Ready with every
/// partition at the new count and fully in sync, every replica holding the same bytes, and every record produced
/// before the changes read back exactly once.
/// </summary>
public sealed class TopicReplicationFactorRealBrokerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "kafka";
    private const string Topic = "rf";
    private const int Partitions = 3;
    private const int RecordsPerPartition = 200;
    private FakeApiServer _server = null!;
    private TestKubelet _kubelet = null!;
    private readonly KafkaTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private TopicReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        // Only the brokers are needed: no StatefulSet is applied, so the kubelet makes no pods.
        _kubelet = await TestKubelet.StartAsync(_server.Client, Ns, "demo", 3, new Dictionary<string, string>());
        _reconciler = new TopicReconciler(_server.Client, _admin, _events, NullLogger<TopicReconciler>.Instance);
        var cluster = Samples.Cluster("demo", 3, Ns);
        cluster.Metadata.Uid = null;
        cluster = await _server.Client.CreateAsync(cluster);
        cluster.Status = new KafkaClusterStatus { BootstrapServers = _kubelet.Bootstrap };
        await _server.Client.ReplaceStatusAsync(cluster);
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _kubelet.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>Reconciles, as the controller's requeues would, until the topic is Ready at the replication factor, fully in sync.</summary>
    private async Task<KafkaTopic> ReconcileUntilSettledAsync(int rf)
    {
        KafkaTopic? last = null;
        await Poll.UntilAsync(async () =>
        {
            var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, Topic))!;
            var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
            if (!result.Succeeded)
            {
                // The controller retries a failed pass (a broker busy on this loaded machine); so does this loop.
                output.WriteLine($"a pass failed: {result.Error}");
            }
            last = (await _server.Client.GetAsync<KafkaTopic>(Ns, Topic))!;
            if (Conditions.IsTrue(last.Status?.Conditions, ConditionTypes.Ready) && last.Status!.ReplicationFactor == rf && last.Status.InSyncPartitions == $"{Partitions}/{Partitions}")
            {
                return true;
            }
            await Task.Delay(200); // the controller's requeue interval, shortened
            return false;
        }, $"replicationFactor {rf} settled (last status: {Conditions.Find(last?.Status?.Conditions, ConditionTypes.Ready)?.Message}, in sync {last?.Status?.InSyncPartitions})", TimeSpan.FromMinutes(2));
        return last!;
    }

    private async Task EditReplicationFactorAsync(int rf)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, Topic))!;
        t.Spec.ReplicationFactor = rf;
        await _server.Client.ReplaceAsync(t);
    }

    [Fact]
    public async Task Replication_factor_1_to_3_to_2_keeps_every_record()
    {
        var topic = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = Partitions, ReplicationFactor = 1 } };
        topic.Metadata.Name = Topic;
        topic.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(topic);
        await ReconcileUntilSettledAsync(1);

        await using var admin = await KafkaAdminClient.ConnectAsync(_kubelet.Bootstrap);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        await using (var producer = await KafkaProducer.CreateAsync(admin.Cluster, new KafkaProducerOptions { Acks = -1 }))
        {
            for (var p = 0; p < Partitions; p++)
            {
                for (var i = 0; i < RecordsPerPartition; i++)
                {
                    var value = $"{p}-{i}";
                    expected.Add(value);
                    producer.Produce(Topic, p, default, keyIsNull: true, Encoding.UTF8.GetBytes(value));
                }
            }
            await producer.FlushAsync();
        }

        foreach (var rf in new[] { 3, 2 })
        {
            await EditReplicationFactorAsync(rf);
            var t = await ReconcileUntilSettledAsync(rf);
            Assert.Null(t.Status!.UnderReplicatedPartitions);
            var described = await admin.DescribeTopicAsync(Topic);
            foreach (var p in described.Partitions)
            {
                Assert.Equal(rf, p.Replicas.Distinct().Count());
                Assert.Equal(p.Replicas.Order(), p.Isr.Order());
                Assert.Contains(p.LeaderId, p.Replicas);
            }
            Assert.Empty(await admin.ListPartitionReassignmentsAsync());
            await AssertReplicasHoldTheSameBytesAsync(admin, described);
            Assert.Equal(expected.Order(StringComparer.Ordinal), (await ReadAllAsync(admin)).Order(StringComparer.Ordinal));
            output.WriteLine($"RF {rf}: " + string.Join("; ", described.Partitions.Select(p => $"{p.Partition}: [{string.Join(",", p.Replicas)}] leader {p.LeaderId}")));
        }
        Assert.Equal(2, _events.Events.Count(e => e.Reason == TopicReconciler.ReplicationFactorChanging));
        Assert.Equal(2, _events.Events.Count(e => e.Reason == "ReplicationFactorChanged"));
    }

    /// <summary>Every replica of each partition holds as many bytes as the others, and removed replicas are gone.</summary>
    private static async Task AssertReplicasHoldTheSameBytesAsync(KafkaAdminClient admin, TopicDescription described)
    {
        string Layout(IReadOnlyList<LogDirDescription> dirs) => string.Join("; ", dirs.SelectMany(d => d.Replicas.Where(r => r.Topic == Topic)
            .Select(r => $"{r.Partition}@{d.BrokerId}={r.SizeBytes}")).Order(StringComparer.Ordinal));
        IReadOnlyList<LogDirDescription> dirs = [];
        // A removed replica's directory goes once its broker has applied the completed move: follow that.
        await Poll.UntilAsync(async () =>
        {
            dirs = await admin.DescribeLogDirsAsync();
            return described.Partitions.All(p =>
            {
                var copies = dirs.SelectMany(d => d.Replicas.Where(r => r.Topic == Topic && r.Partition == p.Partition && !r.IsFuture).Select(r => (d.BrokerId, r.SizeBytes))).ToList();
                return copies.Select(c => c.BrokerId).Order().SequenceEqual(p.Replicas.Order()) && copies.Select(c => c.SizeBytes).Distinct().Count() == 1 && copies[0].SizeBytes > 0;
            });
        }, $"every replica of {Topic} on its brokers with the same size (now: {Layout(dirs)})", TimeSpan.FromMinutes(2));
    }

    /// <summary>Every record of the topic, read from its leaders up to each partition's end offset.</summary>
    private static async Task<List<string>> ReadAllAsync(KafkaAdminClient admin)
    {
        var ends = (await admin.ListTopicOffsetsAsync(Topic, OffsetSpec.Latest)).ToDictionary(e => e.Partition.Partition, e => e.Offset);
        Assert.Equal(Partitions * RecordsPerPartition, ends.Values.Sum());
        await using var consumer = new KafkaConsumer(admin.Cluster);
        await consumer.AssignTopicAsync(Topic);
        var values = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (ends.Any(e => consumer.Positions[(Topic, e.Key)] < e.Value))
        {
            values.AddRange((await consumer.FetchAsync(cts.Token)).Select(r => Encoding.UTF8.GetString(r.Value!)));
        }
        return values;
    }
}
