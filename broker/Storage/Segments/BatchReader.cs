using System.Buffers;
using KafkaOperator.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Segments;

internal enum ScanStop
{
    /// <summary>Reached the end bound exactly at a batch boundary.</summary>
    End,

    /// <summary>The bytes from <see cref="BatchReader.Position"/> are not a complete, plausible batch.</summary>
    Invalid,
}

// Exception policy: IOException from reads propagates (callers wrap it in KafkaStorageException).

/// <summary>
/// Walks the batches of a segment file from a position to an end bound with buffered positional reads: headers
/// only for lookups, whole batches for recovery and compaction.
/// </summary>
internal sealed class BatchReader : IDisposable
{
    private const int BodyBuffer = 64 * 1024;

    // Header-only walks read less per step so that large batches are not read in full just to skip them.
    private const int HeaderBuffer = 8 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly long _end;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public BatchReader(SafeFileHandle handle, long start, long end, bool headersOnly = true)
    {
        _handle = handle;
        Position = start;
        _end = end;
        _buffer = ArrayPool<byte>.Shared.Rent(headersOnly ? HeaderBuffer : BodyBuffer);
    }

    /// <summary>Where the next batch starts (after a stop: where the valid data ends).</summary>
    public long Position { get; private set; }

    public ScanStop Stop { get; private set; }

    /// <summary>
    /// Reads the next batch header (and the whole batch when <paramref name="withBody"/>). False at the end bound
    /// or at an implausible or incomplete batch (<see cref="Stop"/> says which); the position stays on it.
    /// </summary>
    public bool Next(bool withBody, out RecordBatchHeader header, out ReadOnlySpan<byte> batch)
    {
        header = default;
        batch = default;
        var left = _end - Position;
        if (left == 0)
        {
            Stop = ScanStop.End;
            return false;
        }

        if (left < RecordBatchHeader.Size || !Ensure(Position, RecordBatchHeader.Size))
        {
            Stop = ScanStop.Invalid;
            return false;
        }

        header = RecordBatchHeader.Read(Slice(Position, RecordBatchHeader.Size));
        if (header.Magic != RecordBatchHeader.CurrentMagic || header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead
            || header.TotalSize > left || header.LastOffsetDelta < 0 || header.RecordCount < 0)
        {
            Stop = ScanStop.Invalid;
            return false;
        }

        if (withBody)
        {
            if (!Ensure(Position, header.TotalSize))
            {
                Stop = ScanStop.Invalid;
                return false;
            }

            batch = Slice(Position, header.TotalSize);
        }

        return true;
    }

    /// <summary>Moves past the batch <see cref="Next"/> returned.</summary>
    public void Advance(in RecordBatchHeader header) => Position += header.TotalSize;

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private ReadOnlySpan<byte> Slice(long position, int length) => _buffer.AsSpan((int)(position - _bufferStart), length);

    private bool Ensure(long position, int length)
    {
        if (position >= _bufferStart && position + length <= _bufferStart + _bufferLength)
        {
            return true;
        }

        if (length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        var want = (int)Math.Min(_buffer.Length, _end - position);
        var filled = 0;
        while (filled < want)
        {
            var n = RandomAccess.Read(_handle, _buffer.AsSpan(filled, want - filled), position + filled);
            if (n <= 0)
            {
                break;
            }

            filled += n;
        }

        _bufferStart = position;
        _bufferLength = filled;
        return filled >= length;
    }
}
