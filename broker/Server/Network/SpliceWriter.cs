using System.Buffers;
using System.Net.Sockets;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Network;

/// <summary>
/// Collects one response whose record sets are file ranges: the framing bytes go into a pooled buffer, each file
/// range is kept as a reference. Sent as one packet list: the bytes with send, the ranges with sendfile, so record
/// bytes go from the page cache to the socket without passing through this process.
/// Exception policy: none thrown while collecting; the caller disposes leases through <see cref="Reset"/> whether
/// or not the send happened.
/// </summary>
internal sealed class SpliceWriter : IBufferWriter<byte>, IFileRegionSink, IDisposable
{
    private readonly List<Part> _parts = [];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _written;
    private int _partStart;

    public bool HasFileRegions { get; private set; }

    /// <summary>Bytes of the whole response, file ranges included.</summary>
    public long TotalLength { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        _written += count;
        TotalLength += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void WriteFileRegion(FileStream file, long position, int length, IDisposable lease)
    {
        CloseBytePart();
        _parts.Add(new Part(file, position, length, lease));
        TotalLength += length;
        HasFileRegions = true;
    }

    /// <summary>The packet list in order. The byte elements point into this writer's buffer until <see cref="Reset"/>.</summary>
    public SendPacketsElement[] ToElements()
    {
        CloseBytePart();
        var elements = new SendPacketsElement[_parts.Count];
        for (var i = 0; i < _parts.Count; i++)
        {
            var p = _parts[i];
            elements[i] = p.File is null
                ? new SendPacketsElement(_buffer.AsMemory((int)p.Position, p.Length))
                : new SendPacketsElement(p.File, p.Position, p.Length);
        }

        return elements;
    }

    /// <summary>Releases the file ranges and empties the writer for the next response.</summary>
    public void Reset()
    {
        foreach (var p in _parts)
        {
            p.Lease?.Dispose();
        }

        _parts.Clear();
        _written = 0;
        _partStart = 0;
        HasFileRegions = false;
        TotalLength = 0;
        if (_buffer.Length > 1 << 20)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(4096);
        }
    }

    public void Dispose()
    {
        Reset();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void CloseBytePart()
    {
        if (_written > _partStart)
        {
            _parts.Add(new Part(null, _partStart, _written - _partStart, null));
            _partStart = _written;
        }
    }

    private void Ensure(int sizeHint)
    {
        var need = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= need)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + need));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    private readonly record struct Part(FileStream? File, long Position, int Length, IDisposable? Lease);
}
