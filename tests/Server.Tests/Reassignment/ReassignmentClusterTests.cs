using System.Diagnostics;
using System.Text.Json;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Reassignment;

/// <summary>
/// Partition reassignment (KIP-455) on clusters of broker processes, driven by kafkactl as an operator would, under a
/// steady idempotent acks=all librdkafka storm (confluent-kafka-python, as <see cref="RealClients.ReplicatedDurabilityTests"/>):
/// every partition moved to other brokers and a throttled move cancelled halfway; the replication factor raised from
/// 1 to 3 and lowered to 2 (moving leaders off removed replicas). Afterwards every acknowledged record is in the log
/// exactly once, in order, and removed replicas have deleted their directories. A librdkafka consumer group of two
/// members (<see cref="GroupAudit"/>) reads the topic throughout, committing after every batch: it consumes every
/// acknowledged record and reads nothing again that its commits had covered.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class ReassignmentClusterTests(ITestOutputHelper output)
{
    // A steady load for as long as the moves take (a fixed count at full speed could be written before they start).
    private const int Rate = 5000;
    private const int Marker = 10_000;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        // The group's coordinator has RF 3 and survives any one broker; three partitions keep the clusters small.
        ["offsets.topic.replication.factor"] = "3",
        ["offsets.topic.num.partitions"] = "3",
        ["default.replication.factor"] = "2",
    };

    [Fact]
    public async Task Every_partition_moves_to_other_brokers_under_load_and_a_throttled_move_cancelled_halfway_reverts()
    {
        const int partitions = 4;
        var python = RepoPaths.RequirePython();
        await using var cluster = await BrokerCluster.StartAsync(4, output, Settings);
        var ctl = new ReassignmentCluster(cluster, output);
        var topic = "moved-" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers);
        int[] Old(int p) => p % 2 == 0 ? [0, 1] : [1, 0];
        int[] New(int p) => p % 2 == 0 ? [2, 3] : [3, 2];
        (await admin.CreateTopicsAsync([new NewTopic(topic)
        {
            ReplicaAssignment = Enumerable.Range(0, partitions).ToDictionary(p => p, p => (IReadOnlyList<int>)Old(p)),
            Configs = new Dictionary<string, string?> { ["min.insync.replicas"] = "2" },
        }])).ThrowIfAnyFailed();
        using var storm = await SteadyStorm.StartAsync(python, cluster, topic, Rate, Marker);
        using var group = await GroupAudit.StartAsync(python, cluster, topic, storm.Dir, output);

        var move = ctl.WritePlan("move", topic, partitions, New);
        var executed = await ctl.CtlAsync("reassign", "execute", "--plan", move);
        Assert.True(executed.ExitCode == 0, executed.ToString());
        Assert.Contains("started", executed.Out, StringComparison.Ordinal);
        await ctl.WaitDoneAsync(move, TimeSpan.FromSeconds(90));
        for (var p = 0; p < partitions; p++)
            Assert.Equal(New(p), await ReassignmentCluster.ReplicasAsync(admin, topic, p));
        await ctl.WaitReplicaDirsAsync(topic, partitions, New, TimeSpan.FromSeconds(30));

        // Back to brokers 0 and 1, throttled far below what the storm writes, then cancelled while it copies.
        var back = ctl.WritePlan("back", topic, partitions, Old);
        var throttled = await ctl.CtlAsync("reassign", "execute", "--plan", back, "--throttle", "20000");
        Assert.True(throttled.ExitCode == 0, throttled.ToString());
        var ongoing = await admin.ListPartitionReassignmentsAsync();
        Assert.Equal(partitions, ongoing.Count(o => o.Partition.Topic == topic));
        Assert.All(ongoing, o => Assert.Equal([0, 1], o.AddingReplicas.Order()));
        // Any new replica: the leaders' buckets are shared, and one fetch may take far more than a second's worth
        // (as in Kafka, a throttled fetch is refused only once the bucket is empty), starving the others for a while.
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(30),
            () => Task.FromResult(Enumerable.Range(0, partitions).Sum(p => ctl.SegmentBytes(0, topic, p) + ctl.SegmentBytes(1, topic, p))), n => n > 0,
            "the throttled new replicas copying their first bytes");
        var topicConfig = await admin.DescribeTopicConfigsAsync(topic);
        Assert.Equal("0:2,0:3,1:3,1:2,2:2,2:3,3:3,3:2", topicConfig["leader.replication.throttled.replicas"]?.Value);

        var cancelled = await ctl.CtlAsync("reassign", "cancel", "--plan", back, "-o", "json");
        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        Assert.Equal(partitions, JsonDocument.Parse(cancelled.Out).RootElement.GetProperty("partitions").GetArrayLength());
        Assert.Empty(await admin.ListPartitionReassignmentsAsync());
        for (var p = 0; p < partitions; p++)
            Assert.Equal(New(p), await ReassignmentCluster.ReplicasAsync(admin, topic, p));
        await ctl.WaitReplicaDirsAsync(topic, partitions, New, TimeSpan.FromSeconds(30));
        topicConfig = await admin.DescribeTopicConfigsAsync(topic);
        Assert.NotEqual(ConfigSource.DynamicTopicConfig, topicConfig["leader.replication.throttled.replicas"]?.Source);
        // Broker 2 answers from its own copy of the metadata, which applies the committed removal a moment later.
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(30),
            async () => (await admin.DescribeConfigsAsync([ConfigResource.Broker(2)]))[0]["leader.replication.throttled.rate"]?.Value,
            rate => rate == "9223372036854775807", "broker 2's leader throttle rate back to its default");

        await storm.FinishAsync(cluster, output, group, admin);
    }

    [Fact]
    public async Task The_replication_factor_goes_from_1_to_3_and_down_to_2_under_load()
    {
        const int partitions = 3;
        var python = RepoPaths.RequirePython();
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        var ctl = new ReassignmentCluster(cluster, output);
        var topic = "rf-" + Guid.NewGuid().ToString("N")[..8];
        using var storm = await SteadyStorm.StartAsync(python, cluster, topic, Rate, Marker, (partitions, 1, null));
        using var group = await GroupAudit.StartAsync(python, cluster, topic, storm.Dir, output);
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers);
        var start = await admin.DescribeTopicAsync(topic);
        var first = start.Partitions.ToDictionary(p => p.Partition, p => p.Replicas.Single());

        int[] Three(int p) => [first[p], (first[p] + 1) % 3, (first[p] + 2) % 3];
        var up = ctl.WritePlan("rf3", topic, partitions, Three);
        var raised = await ctl.CtlAsync("reassign", "execute", "--plan", up);
        Assert.True(raised.ExitCode == 0, raised.ToString());
        await ctl.WaitDoneAsync(up, TimeSpan.FromSeconds(90));
        await ctl.WaitReplicaDirsAsync(topic, partitions, Three, TimeSpan.FromSeconds(30));
        var three = await admin.DescribeTopicAsync(topic);
        Assert.All(three.Partitions, p => Assert.Equal(3, p.Isr.Count));

        // Down to two, dropping each partition's first replica, which leads it: leadership moves before it goes.
        int[] Two(int p) => [(first[p] + 1) % 3, (first[p] + 2) % 3];
        var down = ctl.WritePlan("rf2", topic, partitions, Two);
        var lowered = await ctl.CtlAsync("reassign", "execute", "--plan", down);
        Assert.True(lowered.ExitCode == 0, lowered.ToString());
        await ctl.WaitDoneAsync(down, TimeSpan.FromSeconds(60));
        await ctl.WaitReplicaDirsAsync(topic, partitions, Two, TimeSpan.FromSeconds(30));
        var two = await admin.DescribeTopicAsync(topic);
        Assert.All(two.Partitions, p => Assert.Equal(Two(p.Partition)[0], p.LeaderId));

        await storm.FinishAsync(cluster, output, group, admin);
    }

    /// <summary>
    /// A move throttled at 2 MB/s: the new replica's segment bytes grow at that rate, measured over the middle of the
    /// copy (the bucket's first second of burst and the end left out). A generous tolerance: the figure belongs to
    /// the measurement, the assertion only to "throttled at about that rate, not at disk speed".
    /// </summary>
    [Fact]
    public async Task A_throttled_move_copies_at_about_its_rate()
    {
        const long rate = 2_000_000;
        await using var cluster = await BrokerCluster.StartAsync(2, output, Settings);
        var ctl = new ReassignmentCluster(cluster, output);
        var topic = "throttled-" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers);
        (await admin.CreateTopicsAsync([new NewTopic(topic) { ReplicaAssignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [0] } }])).ThrowIfAnyFailed();
        await using (var producer = await KafkaOperator.Client.Producer.KafkaProducer.CreateAsync(admin.Cluster))
        {
            var value = new byte[10_000];
            Random.Shared.NextBytes(value);
            for (var i = 0; i < 1600; i++)
                producer.Produce(topic, 0, default, keyIsNull: true, value);
            await producer.FlushAsync();
        }
        var total = ctl.SegmentBytes(0, topic, 0);
        Assert.True(total > 15_000_000, $"{total} bytes produced");

        var plan = ctl.WritePlan("throttled", topic, 1, _ => [1]);
        var clock = Stopwatch.StartNew();
        var executed = await ctl.CtlAsync("reassign", "execute", "--plan", plan, "--throttle", rate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(executed.ExitCode == 0, executed.ToString());
        var samples = new List<(double Seconds, long Bytes)>();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var bytes = ctl.SegmentBytes(1, topic, 0);
            samples.Add((clock.Elapsed.TotalSeconds, bytes));
            if (bytes >= total)
                break;
            await Task.Delay(100); // a sampling interval, not a wait for an event
        }
        var from = samples.First(s => s.Bytes >= total * 0.35);
        var to = samples.First(s => s.Bytes >= total * 0.9);
        var measured = (to.Bytes - from.Bytes) / (to.Seconds - from.Seconds);
        output.WriteLine($"throttled move of {total} bytes at {rate} bytes/s: {measured:0} bytes/s between {from.Seconds:0.0} s and {to.Seconds:0.0} s ({measured / rate:P0} of the rate); whole copy {samples[^1].Seconds:0.0} s");
        Assert.InRange(measured, rate * 0.7, rate * 1.3);
        await ctl.WaitDoneAsync(plan, TimeSpan.FromSeconds(60));
        Assert.Equal([1], await ReassignmentCluster.ReplicasAsync(admin, topic, 0));
    }

    [Fact]
    public async Task Bad_reassignments_and_throttles_get_kafkas_errors_and_change_nothing()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        var ctl = new ReassignmentCluster(cluster, output);
        var topic = "bad-" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers);
        (await admin.CreateTopicsAsync([new NewTopic(topic, 2, 2)])).ThrowIfAnyFailed();
        var before = await admin.DescribeTopicAsync(topic);

        var results = await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?>
        {
            [new TopicPartition("no-such-topic", 0)] = [0, 1],
            [new TopicPartition(topic, 7)] = [0, 1],
            [new TopicPartition(topic, 0)] = [0, 9],
            [new TopicPartition(topic, 1)] = [2, 2],
        });
        Assert.Equal([ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicOrPartition, ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment],
            results.Select(r => r.Error?.Code ?? ErrorCode.None));
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, (await admin.AlterPartitionReassignmentsAsync(
            new Dictionary<TopicPartition, IReadOnlyList<int>?> { [new TopicPartition(topic, 0)] = [] }))[0].Error?.Code);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, (await admin.AlterPartitionReassignmentsAsync(
            new Dictionary<TopicPartition, IReadOnlyList<int>?> { [new TopicPartition(topic, 0)] = null }))[0].Error?.Code);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, (await admin.AlterPartitionReassignmentsAsync(
            new Dictionary<TopicPartition, IReadOnlyList<int>?> { [new TopicPartition(topic, 0)] = [0, 1, 2] }, allowReplicationFactorChange: false))[0].Error?.Code);

        var badRate = await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Broker(0)] = [new ConfigAlteration("leader.replication.throttled.rate", "-1")],
            [ConfigResource.Topic(topic)] = [new ConfigAlteration("follower.replication.throttled.replicas", "0:x")],
        });
        Assert.All(badRate, r => Assert.Equal(ErrorCode.InvalidConfig, r.Error?.Code));

        var plan = ctl.WritePlan("bad", topic, 1, _ => [2, 0]);
        foreach (var throttle in new[] { "0", "-5" })
        {
            var refused = await ctl.CtlAsync("reassign", "execute", "--plan", plan, "--throttle", throttle);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--throttle must be a positive rate", refused.Err, StringComparison.Ordinal);
        }
        var notJson = Path.Combine(cluster.Brokers[0].DataDir, "..", "not-a-plan.json");
        await File.WriteAllTextAsync(notJson, "{\"partitions\": [{\"topic\": 1}]}");
        var badPlan = await ctl.CtlAsync("reassign", "execute", "--plan", notJson);
        Assert.Equal(2, badPlan.ExitCode);

        Assert.Empty(await admin.ListPartitionReassignmentsAsync());
        var after = await admin.DescribeTopicAsync(topic);
        Assert.Equal(before.Partitions.Select(p => p.Replicas.ToArray()), after.Partitions.Select(p => p.Replicas.ToArray()));
        var configs = await admin.DescribeTopicConfigsAsync(topic);
        Assert.NotEqual(ConfigSource.DynamicTopicConfig, configs["follower.replication.throttled.replicas"]?.Source);
    }
}
