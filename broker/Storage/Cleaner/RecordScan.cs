using System.Buffers;
using System.Buffers.Binary;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Cleaner;

// Exception policy: TryGetRecords returns false for a batch whose records cannot be decoded (unknown codec,
// corrupt data): callers then treat the batch as opaque and keep it whole. FirstAtOrAfter throws
// KafkaStorageException on I/O errors.

/// <summary>
/// The uncompressed records section of stored batches, decompressing into one reused pooled buffer, plus the
/// rebuild of a batch that keeps only some of its records (the cleaner).
/// </summary>
internal sealed class BatchRecords : IDisposable
{
    // A stored batch was accepted under max.message.bytes; this only guards against a decompression bomb.
    private const int MaxDecompressedBytes = 256 * 1024 * 1024;
    private readonly PooledBufferWriter _buffer = new(64 * 1024);
    private readonly PooledBufferWriter _kept = new(64 * 1024);
    private readonly PooledBufferWriter _compressed = new(64 * 1024);

    public bool TryGetRecords(in RecordBatchHeader header, ReadOnlySpan<byte> batch, out ReadOnlySpan<byte> records)
    {
        var section = batch[RecordBatchHeader.Size..];
        if (header.Compression == CompressionType.None)
        {
            records = section;
            return true;
        }

        _buffer.Clear();
        var status = Compression.TryDecompress(header.Compression, section, _buffer, MaxDecompressedBytes, out _, out _);
        records = status == DecompressionStatus.Done ? _buffer.WrittenSpan : default;
        return status == DecompressionStatus.Done;
    }

    /// <summary>
    /// A copy of <paramref name="original"/> holding only the record byte ranges <paramref name="keep"/> of its
    /// uncompressed <paramref name="records"/>, compressed again with the batch's codec. The header (base offset,
    /// last offset delta, producer fields, timestamps) is unchanged, so offsets and sequences stay what they were;
    /// each record keeps its own offset delta.
    /// </summary>
    public byte[] Rebuild(ReadOnlySpan<byte> original, in RecordBatchHeader header, ReadOnlySpan<byte> records, IReadOnlyList<(int Start, int Length)> keep)
    {
        _kept.Clear();
        foreach (var (start, length) in keep)
        {
            _kept.Write(records.Slice(start, length));
        }

        var payload = _kept.WrittenSpan;
        if (header.Compression != CompressionType.None && keep.Count > 0)
        {
            _compressed.Clear();
            Compression.Compress(header.Compression, payload, _compressed);
            payload = _compressed.WrittenSpan;
        }

        var batch = new byte[RecordBatchHeader.Size + payload.Length];
        original[..RecordBatchHeader.Size].CopyTo(batch);
        payload.CopyTo(batch.AsSpan(RecordBatchHeader.Size));
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatchHeader.RecordsCountOffset..], keep.Count);
        RecordBatchHeader.WriteCrc(s);
        return batch;
    }

    public void Dispose()
    {
        _buffer.Dispose();
        _kept.Dispose();
        _compressed.Dispose();
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

            using var decoder = new BatchRecords();
            if (!decoder.TryGetRecords(header, buffer.AsSpan(0, header.TotalSize), out var records))
            {
                return null;
            }

            var it = RecordIterator.ForBatch(header, records);
            while (it.TryMoveNext(out _))
            {
                var r = it.Current;
                if (r.Offset >= minOffset && r.Timestamp >= timestamp)
                {
                    return (r.Offset, r.Timestamp);
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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
