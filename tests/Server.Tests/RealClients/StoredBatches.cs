using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// Reads the batch headers of a topic straight from the broker's segment files. A client that silently falls back
/// to uncompressed batches (librdkafka before 2.10 does when Produce v0 is not advertised) still round-trips every
/// record, so a codec test must look at what was stored to know the codec was exercised at all.
/// </summary>
public static class StoredBatches
{
    /// <summary>Every complete batch header of every partition of <paramref name="topic"/>, in file order.</summary>
    public static List<RecordBatchHeader> Read(BrokerProcess broker, string topic)
    {
        var headers = new List<RecordBatchHeader>();
        var dirs = Directory.GetDirectories(broker.DataDir, topic + "-*")
            .Where(d => int.TryParse(Path.GetFileName(d)[(topic.Length + 1)..], out _));
        foreach (var dir in dirs)
        {
            foreach (var segment in Directory.GetFiles(dir, "*.log").Order(StringComparer.Ordinal))
            {
                // The broker may be appending: read what is there and stop at the first incomplete batch.
                byte[] bytes;
                using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    bytes = new byte[stream.Length];
                    stream.ReadExactly(bytes);
                }

                var position = 0;
                while (bytes.Length - position >= RecordBatchHeader.Size)
                {
                    var header = RecordBatchHeader.Read(bytes.AsSpan(position));
                    if (header.BatchLength <= 0 || header.TotalSize > bytes.Length - position)
                    {
                        break;
                    }

                    headers.Add(header);
                    position += header.TotalSize;
                }
            }
        }

        return headers;
    }

    /// <summary>
    /// Asserts that the topic holds batches and that they carry the codec the test asked the client for ("none" or
    /// "lat": every batch uncompressed; otherwise at least one batch with that codec and none with another codec).
    /// Some uncompressed batches are allowed next to compressed ones: librdkafka sends a batch uncompressed when
    /// compressing would not make it smaller.
    /// </summary>
    public static void AssertCodec(BrokerProcess broker, string topic, string codec)
    {
        var expected = codec switch
        {
            "none" or "lat" => CompressionType.None,
            "gzip" => CompressionType.Gzip,
            "snappy" => CompressionType.Snappy,
            "lz4" => CompressionType.Lz4,
            "zstd" => CompressionType.Zstd,
            _ => throw new ArgumentException($"unknown codec {codec}", nameof(codec)),
        };
        var batches = Read(broker, topic);
        Assert.NotEmpty(batches);
        var codecs = batches.GroupBy(b => b.Compression).ToDictionary(g => g.Key, g => g.Count());
        var seen = string.Join(", ", codecs.Select(kv => $"{kv.Key}: {kv.Value}"));
        Assert.True(codecs.ContainsKey(expected) && codecs.Keys.All(c => c == expected || c == CompressionType.None),
            $"topic {topic} (codec {codec}) holds these batches: {seen}");
    }
}
