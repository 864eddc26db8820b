using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Reassignment throughput: a one-partition topic filled beforehand on one broker (the script fills it with
/// rdkafka_performance) is moved whole to another broker, unthrottled or with Kafka's throttles (the rate on every
/// broker, the moving replicas listed in the topic's throttled replica lists, as kafka-reassign-partitions sets them);
/// bytes moved per second from the AlterPartitionReassignments call to the end of the reassignment. While it runs,
/// the latency probe measures acks=all produce on partition 0 of another topic (its leader given) for a fixed window.
/// </summary>
public static class ReassignProbe
{
    /// <summary>Creates <paramref name="topic"/> with one partition whose one replica is on <paramref name="broker"/>.</summary>
    public static async Task<string> SetupAsync(string bootstrap, string topic, int broker, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        await using var admin = await KafkaAdminClient.ConnectAsync(ClusterOptions.For(bootstrap, deadline), cts.Token);
        (await admin.CreateTopicsAsync([new NewTopic(topic) { ReplicaAssignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [broker] } }],
            timeout: deadline, cancellationToken: cts.Token)).ThrowIfAnyFailed();
        // CreateTopics answers once the controller committed the topic; the broker this asks may apply that commit a
        // moment later (as with Kafka), so the topic may be unknown there at first.
        while (!await LedAsync(admin, topic, cts.Token))
            await Task.Delay(20, cts.Token);
        return string.Create(CultureInfo.InvariantCulture, $"{{\"probe\":\"reassign-setup\",\"topic\":\"{topic}\",\"broker\":{broker}}}");
    }

    private static async Task<bool> LedAsync(KafkaAdminClient admin, string topic, CancellationToken cancellationToken)
    {
        try
        {
            return (await admin.Cluster.GetTopicAsync(topic, refresh: true, cancellationToken)).Partitions is [{ LeaderId: >= 0 }];
        }
        catch (KafkaException ex) when (ex.Code == ErrorCode.UnknownTopicOrPartition)
        {
            return false;
        }
    }

    public static async Task<string> RunAsync(string bootstrap, string topic, int to, long throttle, string latencyLeader,
        string latencyTopic, int latencySeconds, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        await using var admin = await KafkaAdminClient.ConnectAsync(ClusterOptions.For(bootstrap, TimeSpan.FromSeconds(30)), cts.Token);
        var tp = new TopicPartition(topic, 0);
        var from = (await admin.Cluster.GetTopicAsync(topic, refresh: true, cts.Token)).Partitions[0].Replicas.ToArray();
        var dirs = await admin.DescribeLogDirsAsync(from, [tp], cts.Token);
        var bytes = dirs.SelectMany(d => d.Replicas).Where(r => r.Topic == topic && r.Partition == 0).Max(r => r.SizeBytes);
        var brokers = (await admin.DescribeClusterAsync(cts.Token)).Brokers.Select(b => b.NodeId).ToList();
        if (throttle > 0)
        {
            var rate = throttle.ToString(CultureInfo.InvariantCulture);
            var alterations = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
            {
                [ConfigResource.Topic(topic)] =
                [
                    new("leader.replication.throttled.replicas", string.Join(',', from.Select(b => $"0:{b}"))),
                    new("follower.replication.throttled.replicas", $"0:{to}"),
                ],
            };
            foreach (var b in brokers)
                alterations[ConfigResource.Broker(b)] = [new("leader.replication.throttled.rate", rate), new("follower.replication.throttled.rate", rate)];
            (await admin.IncrementalAlterConfigsAsync(alterations, cancellationToken: cts.Token)).ThrowIfAnyFailed();
        }

        // The latency window starts with the move; a move shorter than the window leaves part of it unloaded.
        var latency = Task.Run(() => LatencyProbe.Run(latencyLeader, latencyTopic, 1000, latencySeconds, 100, -1), cts.Token);
        var started = Stopwatch.GetTimestamp();
        (await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [tp] = [to] },
            cancellationToken: cts.Token)).ThrowIfAnyFailed();
        var polls = 0;
        while (true)
        {
            polls++;
            var ongoing = await admin.ListPartitionReassignmentsAsync([tp], cancellationToken: cts.Token);
            if (ongoing.Count == 0 && (await admin.Cluster.GetTopicAsync(topic, refresh: true, cts.Token)).Partitions[0].Replicas is [var only] && only == to)
                break;
            await Task.Delay(50, cts.Token);
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var latencyJson = await latency;
        if (throttle > 0)
        {
            var removals = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
            {
                [ConfigResource.Topic(topic)] =
                [
                    new("leader.replication.throttled.replicas", null, AlterConfigOp.Delete),
                    new("follower.replication.throttled.replicas", null, AlterConfigOp.Delete),
                ],
            };
            foreach (var b in brokers)
            {
                removals[ConfigResource.Broker(b)] =
                    [new("leader.replication.throttled.rate", null, AlterConfigOp.Delete), new("follower.replication.throttled.rate", null, AlterConfigOp.Delete)];
            }
            (await admin.IncrementalAlterConfigsAsync(removals, cancellationToken: cts.Token)).ThrowIfAnyFailed();
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"reassign\",\"topic\":\"{topic}\",\"from\":[{string.Join(',', from)}],\"to\":{to},\"bytes\":{bytes}," +
            $"\"throttle\":{throttle},\"seconds\":{seconds:0.000},\"mb_per_s\":{bytes / 1e6 / seconds:0.0},\"polls\":{polls}," +
            $"\"latency_seconds\":{latencySeconds},\"latency\":{latencyJson}}}");
    }
}
