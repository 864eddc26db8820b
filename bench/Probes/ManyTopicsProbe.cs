using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// Creates <c>topics</c> topics of <c>partitions</c> partitions each in CreateTopics requests of <c>batch</c> topics,
/// one request in flight (as a provisioning script or an operator would), then polls Metadata until every partition
/// of every one of them has a leader. The rate is partitions per second from the first request to all led. Each
/// request's round trip is kept so the output shows whether creation slows down as the metadata grows (the last
/// tenth against the first); progress goes to stderr.
/// </summary>
public static class ManyTopicsProbe
{
    public static async Task<string> RunAsync(string bootstrap, string prefix, int topics, int partitions, int batch,
        short replicationFactor, IDictionary<string, string?> configs, TimeSpan deadline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topics, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using var cts = new CancellationTokenSource(deadline);
        await using var admin = await KafkaAdminClient.ConnectAsync(ClusterOptions.For(bootstrap, deadline), cts.Token);
        var names = Enumerable.Range(0, topics).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D5}")).ToList();
        var requests = new List<double>();
        var retries = 0;
        var started = Stopwatch.GetTimestamp();
        for (var first = 0; first < topics; first += batch)
        {
            var sent = Stopwatch.GetTimestamp();
            // A topic refused with a retriable error (NOT_CONTROLLER when a commit took longer than the quorum's
            // request timeout, as on a starved machine) is asked for again, as an admin client retries; one that
            // then exists was created by the earlier attempt.
            var chunk = names.Skip(first).Take(batch).ToList();
            for (var attempt = 0; chunk.Count > 0; attempt++)
            {
                var results = await admin.CreateTopicsAsync(chunk.Select(n => new NewTopic(n, partitions, replicationFactor) { Configs = configs }),
                    timeout: deadline, cancellationToken: cts.Token);
                var failed = results.Where(r => r.Error is { } e && !(attempt > 0 && e.Code == ErrorCode.TopicAlreadyExists)).ToList();
                if (failed.FirstOrDefault(r => !r.Error!.IsRetriable) is { } fatal)
                {
                    throw fatal.Error!;
                }

                retries += failed.Count;
                chunk = [.. failed.Select(r => r.Name)];
            }

            requests.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            var done = Math.Min(topics, first + batch);
            if (requests.Count % Math.Max(1, (topics / batch) / 10) == 0 || done == topics)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"create-topics: {done * (long)partitions} partitions created after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s, last request {requests[^1]:0} ms"));
            }
        }

        var createdMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var polls = 0;
        while (true)
        {
            var metadata = await admin.Cluster.FetchMetadataAsync(null, cts.Token);
            polls++;
            var led = metadata.Topics.Where(t => t.Name is not null && wanted.Contains(t.Name))
                .Sum(t => t.Partitions.Count(p => p.LeaderId >= 0 && p.IsrNodes.Count == replicationFactor));
            if (led == topics * (long)partitions)
            {
                break;
            }

            await Task.Delay(100, cts.Token);
        }

        var ledMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var tenth = Math.Max(1, requests.Count / 10);
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"probe\":\"create-topics\",\"topics\":{topics},\"partitions_per_topic\":{partitions},\"partitions\":{topics * (long)partitions}," +
            $"\"rf\":{replicationFactor},\"batch\":{batch},\"requests\":{requests.Count},\"created_ms\":{createdMs:0},\"led_ms\":{ledMs:0}," +
            $"\"partitions_per_s\":{topics * (double)partitions / (ledMs / 1000):0},\"request_ms_first_tenth\":{requests.Take(tenth).Average():0}," +
            $"\"request_ms_last_tenth\":{requests.TakeLast(tenth).Average():0},\"request_ms_max\":{requests.Max():0},\"retried_topics\":{retries},\"metadata_polls\":{polls}}}");
    }

    internal static string Json(IEnumerable<KeyValuePair<int, int>> counts)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in counts.OrderBy(kv => kv.Key))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? "," : "")}\"{k}\":{v}");
        }

        return sb.ToString();
    }

    /// <summary>Partitions of the topics named with <paramref name="prefix"/> led by each broker, from one Metadata answer.</summary>
    internal static Dictionary<int, int> LeadersByBroker(MetadataResponse metadata, string prefix)
    {
        var counts = new Dictionary<int, int>();
        foreach (var t in metadata.Topics.Where(t => t.Name?.StartsWith(prefix, StringComparison.Ordinal) == true))
        {
            foreach (var p in t.Partitions)
            {
                counts[p.LeaderId] = counts.GetValueOrDefault(p.LeaderId) + 1;
            }
        }

        return counts;
    }
}
