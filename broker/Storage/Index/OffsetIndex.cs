using System.Buffers.Binary;

namespace KafkaOperator.Storage.Index;

/// <summary>Kafka's .index: (relative offset int32, file position int32), one entry per index.interval.bytes.</summary>
internal sealed class OffsetIndex(string dir, string suffix, long baseOffset, int maxIndexBytes) : SparseIndex(dir, suffix, baseOffset, maxIndexBytes, 8)
{
    /// <summary>The floor entry for <paramref name="offset"/>: (offset, position), or (base offset, 0).</summary>
    public (long Offset, int Position) Lookup(long offset)
    {
        var e = Floor(offset);
        return e is { } x ? (x.Key, (int)x.Value) : (BaseOffset, 0);
    }

    protected override void Encode(Span<byte> entry, long key, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(entry, (int)(key - BaseOffset));
        BinaryPrimitives.WriteInt32BigEndian(entry[4..], (int)value);
    }

    protected override (long Key, long Value) Decode(ReadOnlySpan<byte> entry) =>
        (BaseOffset + BinaryPrimitives.ReadInt32BigEndian(entry), BinaryPrimitives.ReadInt32BigEndian(entry[4..]));

    protected override bool IsValid(long key, long value, long prevKey, long prevValue, bool first, long logSize) =>
        key >= BaseOffset && value >= 0 && value < logSize && (first || (key > prevKey && value > prevValue));
}

/// <summary>Kafka's .timeindex: (timestamp int64, relative offset int32), appended when the max timestamp grows.</summary>
internal sealed class TimeIndex(string dir, string suffix, long baseOffset, int maxIndexBytes) : SparseIndex(dir, suffix, baseOffset, maxIndexBytes, 12)
{
    protected override void Encode(Span<byte> entry, long key, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(entry, key);
        BinaryPrimitives.WriteInt32BigEndian(entry[8..], (int)(value - BaseOffset));
    }

    protected override (long Key, long Value) Decode(ReadOnlySpan<byte> entry) =>
        (BinaryPrimitives.ReadInt64BigEndian(entry), BaseOffset + BinaryPrimitives.ReadInt32BigEndian(entry[8..]));

    protected override bool IsValid(long key, long value, long prevKey, long prevValue, bool first, long logSize) =>
        value >= BaseOffset && logSize > 0 && (first || (key >= prevKey && value >= prevValue));

    /// <summary>Appends only when the timestamp grows, as Kafka's maybeAppend.</summary>
    public void MaybeAppend(long timestamp, long offset)
    {
        var last = Last;
        if (last is null || (timestamp > last.Value.Key && offset >= last.Value.Value))
        {
            Append(timestamp, offset);
        }
    }
}
