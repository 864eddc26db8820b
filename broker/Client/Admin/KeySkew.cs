using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KafkaOperator.Client.Admin;

/// <summary>One heavy key of a topic, merged over the partitions it was seen in.</summary>
/// <param name="Hash">The broker's 64-bit XXH3 hash of the key, in hex: the key's identity.</param>
/// <param name="Prefix">The key's first bytes (at most 24).</param>
/// <param name="Count">Guaranteed recent records with this key (the sketch's count minus its error), summed.</param>
/// <param name="Share">Count over the topic's sampled recent records.</param>
public sealed record HotKey(string Hash, byte[] Prefix, int KeyLength, long Count, double Share, IReadOnlyList<int> Partitions)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The key as text when it is printable UTF-8 ("…" when longer than its prefix), else hex, else its hash.</summary>
    public string Display
    {
        get
        {
            var truncated = KeyLength > Prefix.Length;
            if (Prefix.Length == 0)
                return KeyLength == 0 ? "\"\"" : "#" + Hash;
            string? text = null;
            // A prefix may cut a multi-byte character at its end: try without up to three trailing bytes.
            for (var cut = 0; text is null && cut <= (truncated ? Math.Min(3, Prefix.Length - 1) : 0); cut++)
            {
                try
                {
                    text = StrictUtf8.GetString(Prefix, 0, Prefix.Length - cut);
                }
                catch (DecoderFallbackException)
                {
                }
            }
            if (text is not null && text.All(c => !char.IsControl(c)))
                return truncated ? text + "…" : text;
            return "0x" + Convert.ToHexStringLower(Prefix) + (truncated ? "…" : "");
        }
    }
}

/// <summary>A partition's recent traffic as its leader reports it.</summary>
public sealed record PartitionTraffic(int Partition, int Leader, long Records, long Keyless, long Unsampled, long Bytes);

/// <summary>A topic's recent key distribution over every partition leader that answered.</summary>
/// <param name="Records">Recent records the partitions' samples account for; the shares' denominator.</param>
/// <param name="Unsampled">Recent records of batches not read, waiting for their partition's next sample.</param>
/// <param name="BytesSkew">The busiest partition's recent bytes over the mean of all partitions (1: even).</param>
/// <param name="Unreachable">Partitions whose leader could not be asked (no leader, no metrics endpoint).</param>
public sealed record TopicKeySkew(string Topic, long Records, long Unsampled, double BytesSkew, IReadOnlyList<HotKey> Keys,
    IReadOnlyList<PartitionTraffic> Partitions, IReadOnlyList<int> Unreachable)
{
    public HotKey? Top => Keys.Count > 0 ? Keys[0] : null;
}

/// <summary>
/// Reads a topic's hot keys from its partition leaders: each broker's metrics port answers
/// <c>GET /topics/&lt;topic&gt;/skew</c> with the partitions it leads, and this merges them. The endpoints are found
/// through the Kafka protocol: each leader's host from Metadata and its <c>metrics.port</c> (and <c>metrics.host</c>
/// when it names one address) from DescribeConfigs, unless the caller gives the URLs (ephemeral ports).
/// </summary>
public static class KeySkewReader
{
    private static readonly HttpClient DefaultHttp = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    /// <param name="metricsUrls">Base URLs (http://host:port) of brokers' metrics ports, in any order; null to discover them.</param>
    public static async Task<TopicKeySkew> ReadAsync(KafkaAdminClient admin, string topic, IReadOnlyList<Uri>? metricsUrls = null,
        HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        http ??= DefaultHttp;
        var description = await admin.DescribeTopicAsync(topic, cancellationToken).ConfigureAwait(false);
        var leaders = description.Partitions.ToDictionary(p => p.Partition, p => p.LeaderId);
        var urls = metricsUrls ?? await DiscoverAsync(admin, leaders.Values.Where(l => l >= 0).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
        var answers = new List<BrokerAnswer>();
        foreach (var url in urls)
        {
            var target = new Uri(url, $"/topics/{Uri.EscapeDataString(topic)}/skew");
            try
            {
                var body = await http.GetStringAsync(target, cancellationToken).ConfigureAwait(false);
                answers.Add(Parse(body));
            }
            catch (HttpRequestException)
            {
                // that broker is down or has no metrics port: its partitions are reported unreachable
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        return Merge(topic, leaders, answers);
    }

    private static async Task<IReadOnlyList<Uri>> DiscoverAsync(KafkaAdminClient admin, IReadOnlyList<int> brokerIds, CancellationToken cancellationToken)
    {
        var cluster = await admin.DescribeClusterAsync(cancellationToken).ConfigureAwait(false);
        var configs = await admin.DescribeConfigsAsync(brokerIds.Select(ConfigResource.Broker), cancellationToken: cancellationToken).ConfigureAwait(false);
        var urls = new List<Uri>();
        foreach (var result in configs.Where(r => r.Succeeded))
        {
            var id = int.Parse(result.Resource.Name, CultureInfo.InvariantCulture);
            var node = cluster.Brokers.FirstOrDefault(b => b.NodeId == id);
            var port = result.Entries.FirstOrDefault(e => e.Name == "metrics.port")?.Value;
            if (node is null || !int.TryParse(port, CultureInfo.InvariantCulture, out var p) || p <= 0)
                continue;
            var host = result.Entries.FirstOrDefault(e => e.Name == "metrics.host")?.Value;
            if (string.IsNullOrEmpty(host) || host is "0.0.0.0" or "::" or "[::]")
                host = node.Host;
            urls.Add(new UriBuilder("http", host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host, p).Uri);
        }
        return urls;
    }

    private sealed record KeyAnswer(string Hash, byte[] Prefix, int KeyLength, long Count, long Error);

    private sealed record PartitionAnswer(int Partition, long Records, long Keyless, long Unsampled, long Bytes, List<KeyAnswer> Keys);

    private sealed record BrokerAnswer(int BrokerId, List<PartitionAnswer> Partitions);

    private static BrokerAnswer Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var partitions = new List<PartitionAnswer>();
        foreach (var p in root.GetProperty("partitions").EnumerateArray())
        {
            var keys = p.GetProperty("keys").EnumerateArray().Select(k => new KeyAnswer(k.GetProperty("hash").GetString() ?? "",
                k.GetProperty("prefix").GetBytesFromBase64(), k.GetProperty("keyLength").GetInt32(), k.GetProperty("count").GetInt64(),
                k.GetProperty("error").GetInt64())).ToList();
            partitions.Add(new PartitionAnswer(p.GetProperty("partition").GetInt32(), p.GetProperty("records").GetInt64(),
                p.GetProperty("keyless").GetInt64(), p.GetProperty("unsampled").GetInt64(), p.GetProperty("bytes").GetInt64(), keys));
        }
        return new BrokerAnswer(root.GetProperty("brokerId").GetInt32(), partitions);
    }

    /// <summary>Each partition from the broker Metadata names as its leader; keys summed by hash over partitions.</summary>
    private static TopicKeySkew Merge(string topic, IReadOnlyDictionary<int, int> leaders, IReadOnlyList<BrokerAnswer> answers)
    {
        var traffic = new List<PartitionTraffic>();
        var keys = new Dictionary<string, (byte[] Prefix, int Length, long Count, SortedSet<int> Partitions)>(StringComparer.Ordinal);
        foreach (var (partition, leader) in leaders.OrderBy(kv => kv.Key))
        {
            var answer = answers.FirstOrDefault(a => a.BrokerId == leader)?.Partitions.FirstOrDefault(p => p.Partition == partition);
            if (answer is null)
                continue;
            traffic.Add(new PartitionTraffic(partition, leader, answer.Records, answer.Keyless, answer.Unsampled, answer.Bytes));
            foreach (var k in answer.Keys)
            {
                var sure = k.Count - k.Error;
                if (sure <= 0)
                    continue;
                var entry = keys.TryGetValue(k.Hash, out var e) ? e : (Prefix: k.Prefix, Length: k.KeyLength, Count: 0L, Partitions: new SortedSet<int>());
                entry.Partitions.Add(partition);
                keys[k.Hash] = (entry.Prefix, entry.Length, entry.Count + sure, entry.Partitions);
            }
        }
        var records = traffic.Sum(t => t.Records);
        var hot = keys.Select(kv => new HotKey(kv.Key, kv.Value.Prefix, kv.Value.Length, kv.Value.Count,
                records == 0 ? 0 : Math.Min(1.0, kv.Value.Count / (double)records), [.. kv.Value.Partitions]))
            .OrderByDescending(k => k.Count).ThenBy(k => k.Hash, StringComparer.Ordinal).ToList();
        var bytes = leaders.Keys.Select(p => traffic.FirstOrDefault(t => t.Partition == p)?.Bytes ?? 0).ToList();
        var totalBytes = bytes.Sum();
        var skew = totalBytes == 0 || bytes.Count == 0 ? 0 : bytes.Max() / (totalBytes / (double)bytes.Count);
        var unreachable = leaders.Keys.Where(p => traffic.All(t => t.Partition != p)).Order().ToList();
        return new TopicKeySkew(topic, records, traffic.Sum(t => t.Unsampled), skew, hot, traffic, unreachable);
    }
}
