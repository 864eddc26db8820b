using System.Buffers;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Cleaner;

// Exception policy: TryNext returns false on malformed record bytes (callers treat the batch as opaque);
// FirstAtOrAfter throws KafkaStorageException on I/O errors.

/// <summary>One record of an uncompressed v2 batch, as slices of the batch bytes.</summary>
internal readonly ref struct RecordView
{
    public required long Offset { get; init; }

    public required long Timestamp { get; init; }

    public required int Start { get; init; }

    public required int Length { get; init; }

    public required bool HasKey { get; init; }

    public required ReadOnlySpan<byte> Key { get; init; }

    /// <summary>False for a tombstone (null value).</summary>
    public required bool HasValue { get; init; }
}

/// <summary>
/// Walks the records of an uncompressed v2 batch (varint framing), without allocating. Compressed batches are
/// the records library's job; the storage layer only needs keys, timestamps and offsets.
/// </summary>
internal ref struct RecordIterator
{
    private readonly ReadOnlySpan<byte> _batch;
    private readonly RecordBatchHeader _header;
    private int _position;
    private int _remaining;

    public RecordIterator(ReadOnlySpan<byte> batch)
    {
        _batch = batch;
        _header = RecordBatchHeader.Read(batch);
        _position = RecordBatchHeader.Size;
        _remaining = _header.RecordCount;
    }

    public bool TryNext(out RecordView record)
    {
        record = default;
        if (_remaining <= 0 || _position >= _batch.Length)
        {
            return false;
        }

        var p = _position;
        if (!Varint(ref p, out var length) || length < 0 || p + length > _batch.Length)
        {
            return false;
        }

        var start = p;
        var end = p + (int)length;
        p++; // attributes
        if (!Varint(ref p, out var tsDelta) || !Varint(ref p, out var offsetDelta) || !Varint(ref p, out var keyLength))
        {
            return false;
        }

        var key = ReadOnlySpan<byte>.Empty;
        if (keyLength >= 0)
        {
            if (p + keyLength > end)
            {
                return false;
            }

            key = _batch.Slice(p, (int)keyLength);
            p += (int)keyLength;
        }

        if (!Varint(ref p, out var valueLength))
        {
            return false;
        }

        record = new RecordView
        {
            Offset = _header.BaseOffset + offsetDelta,
            Timestamp = _header.BaseTimestamp + tsDelta,
            Start = _position,
            Length = end - _position,
            HasKey = keyLength >= 0,
            Key = key,
            HasValue = valueLength >= 0,
        };
        _position = end;
        _remaining--;
        return true;
    }

    private readonly bool Varint(ref int p, out long value)
    {
        ulong raw = 0;
        var shift = 0;
        while (p < _batch.Length && shift < 64)
        {
            var b = _batch[p++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }

            shift += 7;
        }

        value = 0;
        return false;
    }
}

internal static class RecordScan
{
    /// <summary>The first record at or after <paramref name="minOffset"/> with timestamp &gt;= <paramref name="timestamp"/>.</summary>
    public static (long Offset, long Timestamp)? FirstAtOrAfter(SegmentFile file, long position, in RecordBatchHeader header, long timestamp, long minOffset)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        var handle = file.Acquire();
        try
        {
            var read = 0;
            while (read < header.TotalSize)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read, header.TotalSize - read), position + read);
                if (n <= 0)
                {
                    return null;
                }

                read += n;
            }

            var it = new RecordIterator(buffer.AsSpan(0, header.TotalSize));
            while (it.TryNext(out var r))
            {
                if (r.Offset >= minOffset && r.Timestamp >= timestamp)
                {
                    return (r.Offset, r.Timestamp);
                }
            }

            return null;
        }
        catch (IOException e)
        {
            throw new KafkaStorageException($"Cannot read {file.Path}: {e.Message}", e);
        }
        finally
        {
            file.Release();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
