using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Creates a topic on a cluster and waits until every partition has a leader and a full ISR, so a measurement
/// that follows starts from a settled cluster. Reports how long that took and where the leaders are (the latency
/// probe must talk to partition 0's leader).
/// </summary>
public static class TopicSetup
{
    public static async Task<string> RunAsync(string bootstrap, string topic, int partitions, short replicationFactor,
        IDictionary<string, string?> configs, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var options = ClusterOptions.For(bootstrap, requestTimeout: deadline);
        await using var admin = await KafkaAdminClient.ConnectAsync(options, cts.Token);
        var started = Stopwatch.GetTimestamp();
        var created = await admin.CreateTopicsAsync([new NewTopic(topic, partitions, replicationFactor) { Configs = configs }],
            timeout: deadline, cancellationToken: cts.Token);
        created.ThrowIfAnyFailed();
        var createdMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        TopicMetadata metadata;
        while (true)
        {
            metadata = await admin.Cluster.GetTopicAsync(topic, refresh: true, cts.Token);
            if (metadata.Partitions.Count == partitions
                && metadata.Partitions.All(p => p.LeaderId >= 0 && p.Isr.Count == replicationFactor))
            {
                break;
            }

            await Task.Delay(20, cts.Token);
        }

        var settledMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cluster = admin.Cluster.Metadata;
        var leaders = new StringBuilder();
        foreach (var group in metadata.Partitions.GroupBy(p => p.LeaderId).OrderBy(g => g.Key))
        {
            leaders.Append(CultureInfo.InvariantCulture, $"{(leaders.Length > 0 ? "," : "")}\"{group.Key}\":{group.Count()}");
        }

        var leader0 = cluster.Broker(metadata.Partitions[0].LeaderId);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"create-topic\",\"topic\":\"{topic}\",\"partitions\":{partitions},\"rf\":{replicationFactor}," +
            $"\"created_ms\":{createdMs:0},\"in_sync_ms\":{settledMs:0},\"controller\":{cluster.ControllerId}," +
            $"\"leaders\":{{{leaders}}},\"p0_leader\":\"{leader0?.Host}:{leader0?.Port}\"}}");
    }
}
