using System.Buffers;
using System.Text.Json;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>
/// A topic's hot-key figures as one broker knows them: the partitions it leads. Serves the metrics port's
/// <c>/topics/&lt;topic&gt;/skew</c> JSON (which kafkactl and the operator merge over every leader) and the two
/// per-topic gauges. A key's share uses its guaranteed count (Space-Saving's count minus its error), so a
/// uniform stream of many keys never shows a large share.
/// </summary>
public static partial class TopicSkewReport
{
    public const string PathPrefix = "/topics/";
    public const string PathSuffix = "/skew";

    /// <summary>The topic named by a <c>/topics/&lt;topic&gt;/skew</c> path, or null.</summary>
    public static string? TopicOf(string path)
    {
        if (!path.StartsWith(PathPrefix, StringComparison.Ordinal) || !path.EndsWith(PathSuffix, StringComparison.Ordinal))
            return null;
        var name = Uri.UnescapeDataString(path[PathPrefix.Length..^PathSuffix.Length]);
        return name.Length == 0 || name.Contains('/', StringComparison.Ordinal) ? null : name;
    }

    /// <summary>The JSON answer, or null when the metadata has no such topic.</summary>
    public static byte[]? Json(BrokerServices services, string topic)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Metadata.Image.TopicsByName.ContainsKey(topic))
            return null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("topic", topic);
            w.WriteNumber("brokerId", services.Config.NodeId);
            w.WriteNumber("halfLifeMs", services.Config.GetLong(HotKeyConfig.HalfLifeKey));
            w.WriteStartArray("partitions");
            foreach (var (index, s) in Leaders(services.Replicas, topic))
            {
                w.WriteStartObject();
                w.WriteNumber("partition", index);
                w.WriteNumber("records", s.Records);
                w.WriteNumber("keyless", s.Keyless);
                w.WriteNumber("unsampled", s.Unsampled);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteStartArray("keys");
                foreach (var k in s.Keys)
                {
                    w.WriteStartObject();
                    w.WriteString("hash", k.Hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
                    w.WriteBase64String("prefix", k.Prefix);
                    w.WriteNumber("keyLength", k.KeyLength);
                    w.WriteNumber("count", k.Count);
                    w.WriteNumber("error", k.Error);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The partitions of <paramref name="topic"/> this broker leads, with their snapshots, by index.</summary>
    public static IEnumerable<(int Partition, PartitionKeySnapshot Snapshot)> Leaders(ReplicaManager replicas, string topic)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        return replicas.Hosted.Where(p => p.IsLeader && p.Topic == topic).OrderBy(p => p.Index).Select(p => (p.Index, p.KeyStats.Snapshot()));
    }

    /// <summary>Per topic led here with recent records: the largest key share and the partition byte skew.</summary>
    public static IEnumerable<(string Topic, double HotKeyShare, double BytesSkew)> PerTopic(ReplicaManager replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        foreach (var group in replicas.Hosted.Where(p => p.IsLeader).GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            var snapshots = group.Select(p => p.KeyStats.Snapshot()).ToList();
            var records = snapshots.Sum(s => s.Records);
            var bytes = snapshots.Sum(s => s.Bytes);
            if (records + snapshots.Sum(s => s.Unsampled) == 0 && bytes == 0)
                continue;
            yield return (group.Key, HotKeyShare(snapshots), BytesSkew(snapshots.Select(s => s.Bytes).ToList()));
        }
    }
}
