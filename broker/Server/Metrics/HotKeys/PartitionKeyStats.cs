using System.Buffers.Binary;
using System.IO.Hashing;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>What a partition's leader saw recently: records, bytes and its heaviest keys (counts time-decayed).</summary>
/// <param name="Records">Records accounted for by the sampled batches (each sample stands for the records up to the next
/// one, skipped batches included): the shares' denominator.</param>
/// <param name="Keyless">Of <paramref name="Records"/>, those estimated to have no key.</param>
/// <param name="Unsampled">Records of batches skipped since the last sampled one, not yet accounted for.</param>
/// <param name="Bytes">Record batch bytes appended, compressed or not.</param>
public sealed record PartitionKeySnapshot(long Records, long Keyless, long Unsampled, long Bytes, IReadOnlyList<HeavyHitter> Keys);

/// <summary>
/// The hot-key sketch of one partition, fed by its leader's produce path with each appended request's record
/// batches. A request's batches are sampled when <see cref="HotKeyOptions.SampleIntervalMs"/> has passed since the
/// partition's last sampled request; then keys are read in place from each batch, at most
/// <see cref="HotKeyOptions.SamplesPerBatch"/> evenly spaced records (one varint per record to step over the
/// others). Of compressed batches only one in <see cref="HotKeyOptions.InflateEvery"/> is inflated, into a pooled
/// buffer. The records of batches not read are carried to the next sampled batch, whose samples stand for them too,
/// so a busy partition is not under-represented against a quiet one. Counts, records and bytes halve every
/// <see cref="HotKeyOptions.HalfLifeMs"/>, so shares reflect the last minutes of traffic. Nothing is allocated per
/// uncompressed batch; the sketch's arrays are allocated at the first keyed record, so idle partitions cost a few fields.
/// </summary>
public sealed class PartitionKeyStats(HotKeyOptions? options = null, Func<long>? clockMs = null)
{
    private const int MaxInflatedBytes = 64 << 20;

    private readonly HotKeyOptions _options = options ?? HotKeyOptions.Default;
    private readonly Func<long> _clock = clockMs ?? (static () => Environment.TickCount64);
    private readonly Lock _lock = new();
    private KeySketch? _sketch;
    private long _records;
    private long _keyless;
    private long _carried;
    private long _bytes;
    private long _windowStart = long.MinValue;
    private long _lastSample = long.MinValue;
    private long _compressedBatches;

    /// <summary>The parameters this sketch was made with.</summary>
    public HotKeyOptions Options => _options;

    /// <summary>Adds the record batches of one append (a produce request's records for this partition).</summary>
    public void Observe(ReadOnlySpan<byte> batches)
    {
        lock (_lock)
        {
            var now = _clock();
            Age(now);
            var sample = _lastSample == long.MinValue || now - _lastSample >= _options.SampleIntervalMs;
            if (sample)
                _lastSample = now;
            var pos = 0;
            while (batches.Length - pos >= RecordBatchHeader.Size)
            {
                var batch = batches[pos..];
                var length = RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..]);
                if (length < RecordBatchHeader.Size || length > batch.Length)
                    return;
                ObserveBatch(batch[..length], sample);
                pos += length;
            }
        }
    }

    private void ObserveBatch(ReadOnlySpan<byte> batch, bool sample)
    {
        _bytes += batch.Length;
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]);
        if ((attributes & 0x20) != 0)
            return; // control batch (transaction markers): no user keys
        var count = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatchHeader.RecordsCountOffset..]);
        if (count <= 0)
            return;
        if (!sample)
        {
            _carried += count;
            return;
        }
        if ((attributes & 0x07) == 0)
        {
            ObserveRecords(batch[RecordBatchHeader.Size..], count);
            return;
        }
        if (_compressedBatches++ % _options.InflateEvery != 0)
        {
            _carried += count;
            return;
        }
        using var inflated = new PooledBufferWriter(Math.Max(4096, (batch.Length - RecordBatchHeader.Size) * 4));
        try
        {
            Compression.Decompress((CompressionType)(attributes & 0x07), batch[RecordBatchHeader.Size..], inflated, MaxInflatedBytes);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            _carried += count;
            return;
        }
        ObserveRecords(inflated.WrittenSpan, count);
    }

    /// <summary>
    /// Samples up to <see cref="HotKeyOptions.SamplesPerBatch"/> records at an even stride; the samples' weights add up to this
    /// batch's records plus those carried from skipped batches.
    /// </summary>
    private void ObserveRecords(ReadOnlySpan<byte> records, int count)
    {
        var stride = (count + _options.SamplesPerBatch - 1) / _options.SamplesPerBatch;
        var total = count + _carried;
        var pos = 0;
        var read = 0;
        long accounted = 0;
        for (var i = 0; i < count; i++)
        {
            if (!RecordVarint.TryReadVarint(records[pos..], out var recordLength, out var n) || recordLength < 0 || recordLength > records.Length - pos - n)
                break; // the validator accepted the batch, so this is not expected; stop rather than misread
            var record = records.Slice(pos + n, recordLength);
            pos += n + recordLength;
            if (i % stride != 0)
                continue;
            read = Math.Min(count, i + stride);
            // This sample stands for records i up to the next sample, scaled so the weights sum to total.
            var weight = (read * total / count) - accounted;
            accounted += weight;
            if (!TryReadKey(record, out var key, out var keyLength))
            {
                _keyless += weight;
                continue;
            }
            _sketch ??= new KeySketch(_options.SketchSize);
            _sketch.Add(XxHash3.HashToUInt64(key), key, keyLength, weight);
        }
        _records += accounted;
        _carried = total - accounted;
    }

    /// <summary>A record's key: after attributes (int8), timestampDelta (varlong) and offsetDelta (varint).</summary>
    internal static bool TryReadKey(ReadOnlySpan<byte> record, out ReadOnlySpan<byte> key, out int keyLength)
    {
        key = default;
        keyLength = -1;
        if (record.Length < 1)
            return false;
        var pos = 1;
        if (!RecordVarint.TryReadVarlong(record[pos..], out _, out var n))
            return false;
        pos += n;
        if (!RecordVarint.TryReadVarint(record[pos..], out _, out n))
            return false;
        pos += n;
        if (!RecordVarint.TryReadVarint(record[pos..], out keyLength, out n) || keyLength < 0 || keyLength > record.Length - pos - n)
            return false;
        key = record.Slice(pos + n, keyLength);
        return true;
    }

    /// <summary>The counts now, aged to the present, with the <paramref name="top"/> heaviest keys.</summary>
    public PartitionKeySnapshot Snapshot(int top = int.MaxValue)
    {
        lock (_lock)
        {
            Age(_clock());
            return new PartitionKeySnapshot(_records, _keyless, _carried, _bytes, _sketch?.Top(top) ?? []);
        }
    }

    /// <summary>Forgets everything (the partition's leadership moved away).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _sketch?.Clear();
            _records = _keyless = _carried = _bytes = 0;
        }
    }

    private void Age(long now)
    {
        if (_windowStart == long.MinValue)
        {
            _windowStart = now;
            return;
        }
        var elapsed = now - _windowStart;
        if (elapsed < _options.HalfLifeMs)
            return;
        var halvings = elapsed / _options.HalfLifeMs;
        _windowStart += halvings * _options.HalfLifeMs;
        if (halvings >= 40)
        {
            _sketch?.Clear();
            _records = _keyless = _carried = _bytes = 0;
            return;
        }
        for (var i = 0; i < halvings; i++)
        {
            _sketch?.Halve();
            _records >>= 1;
            _keyless >>= 1;
            _carried >>= 1;
            _bytes >>= 1;
        }
    }
}
