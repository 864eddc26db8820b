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
    public static byte[] Make(int count, long timestamp = 1000, int valueSize = 10, long producerId = -1, short epoch = -1, int seq = -1, string prefix = "k")
    {
        var records = new List<SimpleRecord>();
        for (var i = 0; i < count; i++)
        {
            var value = Encoding.UTF8.GetBytes($"v{i}".PadRight(valueSize, 'x'));
            records.Add(new SimpleRecord(Encoding.UTF8.GetBytes($"{prefix}{i}"), value, timestamp + i));
        }

        return RecordBatchBuilder.Build(0, records, producerId, epoch, seq);
    }

    public static byte[] Keyed(params (string Key, string? Value, long Timestamp)[] records) =>
        RecordBatchBuilder.Build(0, [.. records.Select(r => new SimpleRecord(Encoding.UTF8.GetBytes(r.Key), r.Value is null ? null : Encoding.UTF8.GetBytes(r.Value), r.Timestamp))]);

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

    /// <summary>(offset, key, value or null) of every record from the log start, uncompressed batches only.</summary>
    public static List<(long Offset, string Key, string? Value)> Records(PartitionLog log)
    {
        var result = new List<(long, string, string?)>();
        var offset = log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            var r = log.Read(offset, 1 << 20, long.MaxValue, minOneBatch: true);
            var bytes = ((Segments.FileRecordSet)r.Records).ToArray();
            var p = 0;
            var last = offset;
            foreach (var h in Headers(bytes))
            {
                var it = new RecordIterator(bytes.AsSpan(p, h.TotalSize));
                while (it.TryNext(out var rec))
                {
                    if (rec.Offset >= offset)
                    {
                        var value = rec.HasValue ? ValueOf(bytes.AsSpan(p, h.TotalSize), rec.Start, rec.Length) : null;
                        result.Add((rec.Offset, Encoding.UTF8.GetString(rec.Key), value));
                    }
                }

                p += h.TotalSize;
                last = h.LastOffset;
            }

            offset = last + 1;
        }

        return result;
    }

    private static string ValueOf(ReadOnlySpan<byte> batch, int start, int length)
    {
        // Re-parse the record to get at the value: length, attributes, ts delta, offset delta, key, value length.
        var rec = batch.Slice(start, length);
        var p = 0;
        _ = ReadVarint(rec, ref p);
        p++;
        _ = ReadVarint(rec, ref p);
        _ = ReadVarint(rec, ref p);
        var keyLength = (int)ReadVarint(rec, ref p);
        p += Math.Max(0, keyLength);
        var valueLength = (int)ReadVarint(rec, ref p);
        return Encoding.UTF8.GetString(rec.Slice(p, valueLength));
    }

    private static long ReadVarint(ReadOnlySpan<byte> s, ref int p)
    {
        ulong raw = 0;
        var shift = 0;
        while (true)
        {
            var b = s[p++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(raw >> 1) ^ -(long)(raw & 1);
            }

            shift += 7;
        }
    }
}
