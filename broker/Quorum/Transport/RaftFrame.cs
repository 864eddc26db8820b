using System.Buffers;
using System.Buffers.Binary;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// The quorum transport's framing on TCP: an int32 size (of what follows it), an int32 correlation id, then one
/// <see cref="RaftCodec"/> message. Requests on a connection may be pipelined; each response carries its request's
/// correlation id and responses may come back in any order. The size is checked against
/// <see cref="RaftCodec.MaxMessageBytes"/> before any of the body is read.
/// </summary>
public static class RaftFrame
{
    /// <summary>The size prefix and the correlation id.</summary>
    public const int HeaderBytes = 8;

    /// <summary>The largest size prefix accepted: the correlation id and the largest message.</summary>
    public const int MaxSize = 4 + RaftCodec.MaxMessageBytes;

    // The correlation id and a message's type byte.
    private const int MinSize = 4 + 1;

    public static byte[] Encode(int correlationId, RaftRequest request)
    {
        var frame = new byte[HeaderBytes + RaftCodec.GetSize(request)];
        WriteHeader(frame, correlationId);
        RaftCodec.Write(request, frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static byte[] Encode(int correlationId, RaftResponse response)
    {
        var frame = new byte[HeaderBytes + RaftCodec.GetSize(response)];
        WriteHeader(frame, correlationId);
        RaftCodec.Write(response, frame.AsSpan(HeaderBytes));
        return frame;
    }

    /// <summary>
    /// Takes one complete frame off the front of <paramref name="buffer"/>: true with its correlation id and message
    /// bytes (a slice of the buffer, valid until the buffer is released), or false when more bytes are needed.
    /// Throws <see cref="InvalidDataException"/> as soon as the size prefix is out of range.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out int correlationId, out ReadOnlySequence<byte> message)
    {
        correlationId = 0;
        message = default;
        if (buffer.Length < 4)
            return false;
        var size = ReadInt32(buffer);
        CheckSize(size);
        if (buffer.Length < 4L + size)
            return false;
        correlationId = ReadInt32(buffer.Slice(4));
        message = buffer.Slice(HeaderBytes, size - 4);
        buffer = buffer.Slice(4L + size);
        return true;
    }

    /// <summary>Decodes a request from exactly one whole frame; anything short, long or malformed is invalid data.</summary>
    public static RaftRequest DecodeRequest(ReadOnlySpan<byte> frame, out int correlationId) =>
        RaftCodec.DecodeRequest(Body(frame, out correlationId));

    /// <summary>Decodes a response from exactly one whole frame; anything short, long or malformed is invalid data.</summary>
    public static RaftResponse DecodeResponse(ReadOnlySpan<byte> frame, out int correlationId) =>
        RaftCodec.DecodeResponse(Body(frame, out correlationId));

    private static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> frame, out int correlationId)
    {
        if (frame.Length < 4)
            throw new InvalidDataException($"Raft frame truncated: {frame.Length} bytes, not even a size prefix");
        var size = BinaryPrimitives.ReadInt32BigEndian(frame);
        CheckSize(size);
        if (frame.Length - 4 != size)
            throw new InvalidDataException($"Raft frame size prefix says {size} bytes but {frame.Length - 4} follow it");
        correlationId = BinaryPrimitives.ReadInt32BigEndian(frame[4..]);
        return frame[HeaderBytes..];
    }

    private static void CheckSize(int size)
    {
        if (size < MinSize || size > MaxSize)
            throw new InvalidDataException($"Raft frame size {size} is outside {MinSize}..{MaxSize}");
    }

    private static void WriteHeader(Span<byte> frame, int correlationId)
    {
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt32BigEndian(frame[4..], correlationId);
    }

    private static int ReadInt32(ReadOnlySequence<byte> buffer)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= 4)
            return BinaryPrimitives.ReadInt32BigEndian(first);
        Span<byte> four = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(four);
        return BinaryPrimitives.ReadInt32BigEndian(four);
    }
}
