using System.Buffers.Binary;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Cleaner;

/// <summary>One record to encode: key/value null for a null key or a tombstone.</summary>
internal readonly record struct SimpleRecord(byte[]? Key, byte[]? Value, long Timestamp);

// Exception policy: ArgumentException for records that cannot be framed (none in practice).

/// <summary>
/// Encodes uncompressed RecordBatch v2 (tests, tools, and the cleaner's rewritten batches). Offset deltas are
/// consecutive from 0; timestamps are deltas from the first record's.
/// </summary>
internal static class RecordBatchBuilder
{
    public static byte[] Build(long baseOffset, IReadOnlyList<SimpleRecord> records, long producerId = -1, short producerEpoch = -1,
        int baseSequence = -1, int partitionLeaderEpoch = -1, bool logAppendTime = false)
    {
        ArgumentNullException.ThrowIfNull(records);
        var baseTimestamp = records.Count == 0 ? -1 : records[0].Timestamp;
        var body = new List<byte>(records.Count * 32);
        var maxTimestamp = baseTimestamp;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            maxTimestamp = Math.Max(maxTimestamp, r.Timestamp);
            var rec = new List<byte> { 0 };
            WriteVarint(rec, r.Timestamp - baseTimestamp);
            WriteVarint(rec, i);
            WriteBytes(rec, r.Key);
            WriteBytes(rec, r.Value);
            WriteVarint(rec, 0);
            WriteVarint(body, rec.Count);
            body.AddRange(rec);
        }

        var batch = new byte[RecordBatchHeader.Size + body.Count];
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.PartitionLeaderEpochOffset..], partitionLeaderEpoch);
        s[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(s[RecordBatchHeader.AttributesOffset..], (short)(logAppendTime ? 0x08 : 0));
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.LastOffsetDeltaOffset..], Math.Max(0, records.Count - 1));
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatchHeader.BaseTimestampOffset..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatchHeader.ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(s[RecordBatchHeader.ProducerEpochOffset..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.RecordsCountOffset..], records.Count);
        body.CopyTo(batch, RecordBatchHeader.Size);
        RecordBatchHeader.WriteCrc(s);
        return batch;
    }

    /// <summary>
    /// A copy of <paramref name="original"/> holding only the record byte ranges <paramref name="keep"/>, with the
    /// header (offsets, last offset delta, producer fields, timestamps) unchanged, so offsets and sequence numbers
    /// stay what they were. Used by the cleaner.
    /// </summary>
    public static byte[] Filter(ReadOnlySpan<byte> original, IReadOnlyList<(int Start, int Length)> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var size = RecordBatchHeader.Size;
        foreach (var (_, length) in keep)
        {
            size += length;
        }

        var batch = new byte[size];
        original[..RecordBatchHeader.Size].CopyTo(batch);
        var p = RecordBatchHeader.Size;
        foreach (var (start, length) in keep)
        {
            original.Slice(start, length).CopyTo(batch.AsSpan(p));
            p += length;
        }

        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.BatchLengthOffset..], size - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.RecordsCountOffset..], keep.Count);
        RecordBatchHeader.WriteCrc(s);
        return batch;
    }

    private static void WriteBytes(List<byte> output, byte[]? bytes)
    {
        if (bytes is null)
        {
            WriteVarint(output, -1);
            return;
        }

        WriteVarint(output, bytes.Length);
        output.AddRange(bytes);
    }

    private static void WriteVarint(List<byte> output, long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            output.Add((byte)(v | 0x80));
            v >>= 7;
        }

        output.Add((byte)v);
    }
}
