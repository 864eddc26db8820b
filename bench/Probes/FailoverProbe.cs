using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Failover as a producer sees it: acks=all records to one partition, one after the other, then kill -9 of that
/// partition's leader (sent by this probe, between two records, so none is in flight), then records again until
/// the first one is acknowledged. The gap from the kill to that acknowledgement is the partition's outage: the
/// controller's fencing after broker.session.timeout.ms, the new leader's election, and this client finding it.
/// </summary>
public static class FailoverProbe
{
    public static async Task<string> RunAsync(string bootstrap, string topic, int partition, Dictionary<int, int> pids,
        TimeSpan warmup, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        await using var producer = await AckedWrites.CreateAsync(bootstrap, cts.Token);
        var cluster = producer.Cluster;
        var before = await cluster.GetTopicAsync(topic, refresh: true, cts.Token);
        var controller = cluster.Metadata.ControllerId;
        // The partition asked for, or (-1) the first whose leader is not the active controller: killing the
        // controller as well adds a quorum election and a fresh session for every broker, a different figure.
        var chosen = partition >= 0
            ? before.Partition(partition) ?? throw new ArgumentException($"{topic} has no partition {partition}")
            : before.Partitions.FirstOrDefault(p => p.LeaderId >= 0 && p.LeaderId != controller) ?? before.Partitions[0];
        var victim = chosen.LeaderId;
        var pid = ClusterOptions.PidOf(pids, victim);

        // Until the partition acknowledges steadily: the first records may wait for followers still catching up.
        var acknowledged = 0;
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < warmup || acknowledged == 0)
        {
            if (await AckedWrites.TryProduceAsync(producer, topic, chosen.Partition, cts.Token))
            {
                acknowledged++;
            }
        }

        var killedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var killedAt = Stopwatch.GetTimestamp();
        Signals.Send(pid, Signals.Kill);
        var failures = 0;
        while (!await AckedWrites.TryProduceAsync(producer, topic, chosen.Partition, cts.Token))
        {
            failures++;
        }

        var gapMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
        var after = (await cluster.GetTopicAsync(topic, refresh: true, cts.Token)).Partition(chosen.Partition)!;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"failover\",\"topic\":\"{topic}\",\"partition\":{chosen.Partition},\"killed_broker\":{victim}," +
            $"\"killed_pid\":{pid},\"was_controller\":{(victim == controller ? "true" : "false")},\"acks_before\":{acknowledged}," +
            $"\"killed_at_unix_ms\":{killedAtUnixMs},\"kill_to_ack_ms\":{gapMs:0},\"failed_records\":{failures}," +
            $"\"new_leader\":{after.LeaderId},\"leader_epoch\":[{chosen.LeaderEpoch},{after.LeaderEpoch}]}}");
    }
}
