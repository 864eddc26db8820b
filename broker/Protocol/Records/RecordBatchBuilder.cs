using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KafkaOperator.Protocol.Records;

/// <summary>A header to write: a key (never null) and a value that may be null.</summary>
public readonly record struct RecordHeaderEntry(string Key, byte[]? Value);

/// <summary>
/// Builds one RecordBatch v2 as a Kafka producer does: records are encoded as they are added (offset delta = index,
/// timestamp delta from the first record's timestamp), and <see cref="WriteTo"/> emits the header, the records
/// (compressed if asked) and the CRC. Settings may change until the batch is written; <see cref="Clear"/> starts a
/// new batch with the same settings. Not thread-safe.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private const short TimestampTypeBit = 0x08;
    private const short TransactionalBit = 0x10;
    private const short ControlBit = 0x20;

    private readonly PooledBufferWriter _records = new();
    private PooledBufferWriter? _compressed;
    private long _baseTimestamp;
    private long _maxTimestamp = long.MinValue;

    public RecordBatchBuilder(CompressionType compression = CompressionType.None) => CompressionType = compression;

    public CompressionType CompressionType { get; set; }

    /// <summary>The codec's level, or <see cref="Compression.DefaultLevel"/>.</summary>
    public int CompressionLevel { get; set; } = Compression.DefaultLevel;

    public TimestampType TimestampType { get; set; } = TimestampType.CreateTime;

    public long BaseOffset { get; set; }

    public int PartitionLeaderEpoch { get; set; } = RecordBatchHeader.NoPartitionLeaderEpoch;

    public long ProducerId { get; set; } = RecordBatchHeader.NoProducerId;

    public short ProducerEpoch { get; set; } = RecordBatchHeader.NoProducerEpoch;

    public int BaseSequence { get; set; } = RecordBatchHeader.NoSequence;

    public bool IsTransactional { get; set; }

    public bool IsControl { get; set; }

    /// <summary>When set, written as maxTimestamp instead of the largest record timestamp (a LogAppendTime batch's time).</summary>
    public long? MaxTimestampOverride { get; set; }

    public int Count { get; private set; }

    /// <summary>The batch's size if written uncompressed (an upper bound in practice once compressed).</summary>
    public int UncompressedSizeInBytes => RecordBatchHeader.Size + _records.WrittenCount;

    public void Add(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeaderEntry>? headers = null) =>
        Add(timestamp, key, key is null, value, value is null, headers);

    /// <summary>Adds a record from spans; a span cannot be null, so nullness of key and value is explicit.</summary>
    public void Add(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<RecordHeaderEntry>? headers = null)
    {
        if (Count == int.MaxValue)
        {
            throw new InvalidOperationException("a batch holds at most int.MaxValue records");
        }

        if (Count == 0)
        {
            _baseTimestamp = timestamp;
        }

        var timestampDelta = timestamp - _baseTimestamp;
        var headerCount = headers?.Count ?? 0;
        var body = 1 + RecordVarint.SizeOfVarlong(timestampDelta) + RecordVarint.SizeOfVarint(Count)
            + SizeOfBytes(key, keyIsNull) + SizeOfBytes(value, valueIsNull) + RecordVarint.SizeOfVarint(headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var header = headers![i];
            ArgumentNullException.ThrowIfNull(header.Key, "header key");
            var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            body += RecordVarint.SizeOfVarint(keyBytes) + keyBytes + SizeOfBytes(header.Value, header.Value is null);
        }

        var span = _records.GetSpan(RecordVarint.MaxVarintBytes + body);
        var n = RecordVarint.WriteVarint(span, body);
        span[n++] = 0; // record attributes: unused
        n += RecordVarint.WriteVarlong(span[n..], timestampDelta);
        n += RecordVarint.WriteVarint(span[n..], Count);
        n += WriteBytes(span[n..], key, keyIsNull);
        n += WriteBytes(span[n..], value, valueIsNull);
        n += RecordVarint.WriteVarint(span[n..], headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var header = headers![i];
            var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            n += RecordVarint.WriteVarint(span[n..], keyBytes);
            n += Encoding.UTF8.GetBytes(header.Key, span[n..]);
            n += WriteBytes(span[n..], header.Value, header.Value is null);
        }

        _records.Advance(n);
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        Count++;
    }

    /// <summary>
    /// Adds a transaction marker (ControlRecordType version 0, ABORT = 0 / COMMIT = 1; EndTxnMarker version 0 with
    /// the coordinator epoch) and marks the batch as a transactional control batch.
    /// </summary>
    public void AddEndTransactionMarker(long timestamp, bool commit, int coordinatorEpoch)
    {
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key, 0);
        BinaryPrimitives.WriteInt16BigEndian(key[2..], commit ? (short)1 : (short)0);
        Span<byte> value = stackalloc byte[6];
        BinaryPrimitives.WriteInt16BigEndian(value, 0);
        BinaryPrimitives.WriteInt32BigEndian(value[2..], coordinatorEpoch);
        IsControl = true;
        IsTransactional = true;
        Add(timestamp, key, false, value, false);
    }

    /// <summary>Writes the whole batch and returns its size. Throws <see cref="InvalidOperationException"/> when empty.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Count == 0)
        {
            throw new InvalidOperationException("a record batch needs at least one record");
        }

        var section = _records.WrittenSpan;
        if (CompressionType != CompressionType.None)
        {
            _compressed ??= new PooledBufferWriter(_records.WrittenCount);
            _compressed.Clear();
            Compression.Compress(CompressionType, section, _compressed, CompressionLevel);
            section = _compressed.WrittenSpan;
        }

        var total = RecordBatchHeader.Size + section.Length;
        var batch = output.GetSpan(total)[..total];
        var attributes = (int)CompressionType
            | (TimestampType == TimestampType.LogAppendTime ? TimestampTypeBit : 0)
            | (IsTransactional ? TransactionalBit : 0)
            | (IsControl ? ControlBit : 0);
        BinaryPrimitives.WriteInt64BigEndian(batch, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], total - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaOffset..], Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], MaxTimestampOverride ?? _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordsCountOffset..], Count);
        section.CopyTo(batch[RecordBatchHeader.Size..]);
        RecordBatchHeader.WriteCrc(batch);
        output.Advance(total);
        return total;
    }

    /// <summary>The batch as a new array (tests, tools); hot paths use <see cref="WriteTo"/> with a pooled writer.</summary>
    public byte[] ToArray()
    {
        using var output = new PooledBufferWriter(UncompressedSizeInBytes + 64);
        WriteTo(output);
        return output.ToArray();
    }

    /// <summary>Drops the records and keeps every setting, for the next batch.</summary>
    public void Clear()
    {
        _records.Clear();
        Count = 0;
        _maxTimestamp = long.MinValue;
    }

    public void Dispose()
    {
        _records.Dispose();
        _compressed?.Dispose();
    }

    private static int SizeOfBytes(ReadOnlySpan<byte> bytes, bool isNull) =>
        isNull ? 1 : RecordVarint.SizeOfVarint(bytes.Length) + bytes.Length;

    private static int WriteBytes(Span<byte> destination, ReadOnlySpan<byte> bytes, bool isNull)
    {
        if (isNull)
        {
            return RecordVarint.WriteVarint(destination, -1);
        }

        var n = RecordVarint.WriteVarint(destination, bytes.Length);
        bytes.CopyTo(destination[n..]);
        return n + bytes.Length;
    }
}
