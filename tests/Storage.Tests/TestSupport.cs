using System.Text;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Cleaner;

namespace KafkaOperator.Storage.Tests;

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualClock(long startMs = 1_700_000_000_000) : TimeProvider
{
    public long NowMs { get; set; } = startMs;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);

    public void Advance(long ms) => NowMs += ms;
}

internal static class Batches
{
    /// <summary>A batch of <paramref name="count"/> records "k{i}"/"v{i}" padded to <paramref name="valueSize"/>.</summary>
    public static byte[] Make(int count, long timestamp = 1000, int valueSize = 10, long producerId = -1, short epoch = -1, int seq = -1,
        string prefix = "k", CompressionType compression = CompressionType.None)
    {
        using var builder = new RecordBatchBuilder(compression) { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = seq };
        for (var i = 0; i < count; i++)
        {
            builder.Add(timestamp + i, Encoding.UTF8.GetBytes($"{prefix}{i}"), Encoding.UTF8.GetBytes($"v{i}".PadRight(valueSize, 'x')));
        }

        return builder.ToArray();
    }

    public static byte[] Keyed(params (string Key, string? Value, long Timestamp)[] records) => Keyed(CompressionType.None, records);

    public static byte[] Keyed(CompressionType compression, params (string Key, string? Value, long Timestamp)[] records)
    {
        using var builder = new RecordBatchBuilder(compression);
        foreach (var (key, value, ts) in records)
        {
            builder.Add(ts, Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));
        }

        return builder.ToArray();
    }

    public static byte[] Producer(string key, string value, long producerId, short epoch, int seq)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = seq };
        builder.Add(5, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
        return builder.ToArray();
    }

    /// <summary>Headers of the whole batches in <paramref name="bytes"/> (a trailing partial batch is ignored).</summary>
    public static List<RecordBatchHeader> Headers(ReadOnlySpan<byte> bytes)
    {
        var result = new List<RecordBatchHeader>();
        var p = 0;
        while (bytes.Length - p >= RecordBatchHeader.Size)
        {
            var h = RecordBatchHeader.Read(bytes[p..]);
            if (h.TotalSize > bytes.Length - p)
            {
                break;
            }

            Assert.True(RecordBatchHeader.CrcMatches(bytes.Slice(p, h.TotalSize)), $"CRC mismatch at {p}");
            result.Add(h);
            p += h.TotalSize;
        }

        return result;
    }

    /// <summary>Reads the whole log from its start (all batches up to LEO) and returns every batch header.</summary>
    public static List<RecordBatchHeader> ReadAll(PartitionLog log, long from = -1)
    {
        var all = new List<RecordBatchHeader>();
        var offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.LogEndOffset)
        {
            var r = log.Read(offset, 1 << 20, long.MaxValue, minOneBatch: true);
            Assert.Equal(KafkaOperator.Protocol.ErrorCode.None, r.Error);
            var bytes = ((Segments.FileRecordSet)r.Records).ToArray();
            var headers = Headers(bytes);
            Assert.NotEmpty(headers);
            all.AddRange(headers.Where(h => h.LastOffset >= offset));
            offset = headers[^1].LastOffset + 1;
        }

        return all;
    }

    /// <summary>(offset, key, value or null) of every record from the log start (decompressing as needed).</summary>
    public static List<(long Offset, string Key, string? Value)> Records(PartitionLog log)
    {
        var result = new List<(long, string, string?)>();
        var offset = log.LogStartOffset;
        using var decoder = new BatchRecords();
        while (offset < log.LogEndOffset)
        {
            var r = log.Read(offset, 1 << 20, long.MaxValue, minOneBatch: true);
            var bytes = ((Segments.FileRecordSet)r.Records).ToArray();
            var p = 0;
            var last = offset;
            foreach (var h in Headers(bytes))
            {
                Assert.True(decoder.TryGetRecords(h, bytes.AsSpan(p, h.TotalSize), out var records));
                var it = RecordIterator.ForBatch(h, records);
                while (it.MoveNext())
                {
                    var rec = it.Current;
                    if (rec.Offset >= offset)
                    {
                        result.Add((rec.Offset, Encoding.UTF8.GetString(rec.Key), rec.ValueIsNull ? null : Encoding.UTF8.GetString(rec.Value)));
                    }
                }

                p += h.TotalSize;
                last = h.LastOffset;
            }

            offset = last + 1;
        }

        return result;
    }
}
