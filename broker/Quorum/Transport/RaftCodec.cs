using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KafkaOperator.Quorum.Transport;

/// <summary>
/// A compact binary encoding of the Raft RPC records for the quorum's own TCP transport: one type byte, then the
/// fields in declaration order, big-endian. Strings are an int16 byte length and UTF-8; byte arrays an int32 length
/// and the bytes; lists an int32 count and the elements; booleans one byte, 0 or 1.
/// <para>
/// Decoding is the trust boundary: every length and count is checked against the bytes that are actually there
/// before anything is allocated, trailing bytes are rejected, and any malformed input raises
/// <see cref="InvalidDataException"/>. A null string, byte array or list (which the records do not allow, but a
/// caller may still pass) is encoded as empty, so decoded records never hold nulls.
/// </para>
/// </summary>
public static class RaftCodec
{
    /// <summary>The largest encoded message (and frame body) either side accepts: 64 MiB.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    private const byte VoteRequestType = 1;
    private const byte VoteResponseType = 2;
    private const byte BeginQuorumEpochRequestType = 3;
    private const byte BeginQuorumEpochResponseType = 4;
    private const byte EndQuorumEpochRequestType = 5;
    private const byte EndQuorumEpochResponseType = 6;
    private const byte FetchRequestType = 7;
    private const byte FetchResponseType = 8;
    private const byte ProposeRequestType = 9;
    private const byte ProposeResponseType = 10;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Offset, epoch and the payload's length: the least one entry can take on the wire.
    private const int MinEntryBytes = 8 + 4 + 4;

    /// <summary>The encoded size of <paramref name="request"/> in bytes.</summary>
    public static int GetSize(RaftRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SizeOf(request);
    }

    /// <summary>The encoded size of <paramref name="response"/> in bytes.</summary>
    public static int GetSize(RaftResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return SizeOf(response);
    }

    public static byte[] Encode(RaftRequest request)
    {
        var bytes = new byte[GetSize(request)];
        Write(request, bytes);
        return bytes;
    }

    public static byte[] Encode(RaftResponse response)
    {
        var bytes = new byte[GetSize(response)];
        Write(response, bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="request"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(RaftRequest request, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WriteMessage(request, destination);
    }

    /// <summary>Writes <paramref name="response"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(RaftResponse response, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(response);
        return WriteMessage(response, destination);
    }

    public static RaftRequest DecodeRequest(ReadOnlySpan<byte> source) =>
        Decode(source) as RaftRequest ?? throw new InvalidDataException($"Raft message type {source[0]} is a response, not a request");

    public static RaftResponse DecodeResponse(ReadOnlySpan<byte> source) =>
        Decode(source) as RaftResponse ?? throw new InvalidDataException($"Raft message type {source[0]} is a request, not a response");

    public static RaftRequest DecodeRequest(in ReadOnlySequence<byte> source) =>
        source.IsSingleSegment ? DecodeRequest(source.FirstSpan) : DecodeRequest(Flatten(source));

    public static RaftResponse DecodeResponse(in ReadOnlySequence<byte> source) =>
        source.IsSingleSegment ? DecodeResponse(source.FirstSpan) : DecodeResponse(Flatten(source));

    private static byte[] Flatten(in ReadOnlySequence<byte> source)
    {
        if (source.Length > MaxMessageBytes)
            throw new InvalidDataException($"Raft message of {source.Length} bytes exceeds the {MaxMessageBytes}-byte limit");
        return source.ToArray();
    }

    /// <summary>The encoded size, by running the one field-by-field description below without writing.</summary>
    private static int SizeOf(object message)
    {
        var w = SpanWriter.Measuring();
        Encode(ref w, message);
        if (w.Position > MaxMessageBytes)
            throw new ArgumentException($"{message.GetType().Name} of {w.Position} bytes exceeds the {MaxMessageBytes}-byte limit", nameof(message));
        return (int)w.Position;
    }

    private static int WriteMessage(object message, Span<byte> destination)
    {
        var size = SizeOf(message);
        if (destination.Length < size)
            throw new ArgumentException($"destination of {destination.Length} bytes is too small for {size}", nameof(destination));
        var w = new SpanWriter(destination);
        Encode(ref w, message);
        return (int)w.Position;
    }

    /// <summary>Each message's fields in wire order: the one description both sizing and writing follow.</summary>
    private static void Encode(ref SpanWriter w, object message)
    {
        switch (message)
        {
            case VoteRequest m:
                w.Byte(VoteRequestType);
                w.String(m.ClusterId);
                w.Int32(m.CandidateEpoch);
                w.Int32(m.CandidateId);
                w.Int32(m.LastOffsetEpoch);
                w.Int64(m.LastOffset);
                w.Bool(m.PreVote);
                break;
            case VoteResponse m:
                w.Byte(VoteResponseType);
                w.Int16(m.ErrorCode);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                w.Bool(m.VoteGranted);
                break;
            case BeginQuorumEpochRequest m:
                w.Byte(BeginQuorumEpochRequestType);
                w.String(m.ClusterId);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                break;
            case BeginQuorumEpochResponse m:
                w.Byte(BeginQuorumEpochResponseType);
                w.Int16(m.ErrorCode);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                break;
            case EndQuorumEpochRequest m:
                w.Byte(EndQuorumEpochRequestType);
                w.String(m.ClusterId);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                var successors = m.PreferredSuccessors ?? [];
                w.Int32(successors.Count);
                for (var i = 0; i < successors.Count; i++)
                    w.Int32(successors[i]);
                break;
            case EndQuorumEpochResponse m:
                w.Byte(EndQuorumEpochResponseType);
                w.Int16(m.ErrorCode);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                break;
            case FetchRequest m:
                w.Byte(FetchRequestType);
                w.String(m.ClusterId);
                w.Int32(m.ReplicaId);
                w.Int32(m.ReplicaEpoch);
                w.Int64(m.FetchOffset);
                w.Int32(m.LastFetchedEpoch);
                w.Int32(m.MaxBytes);
                w.Int32(m.MaxWaitMs);
                w.Int64(m.HighWatermark);
                break;
            case FetchResponse m:
                w.Byte(FetchResponseType);
                w.Int16(m.ErrorCode);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                w.Int64(m.HighWatermark);
                w.Int64(m.LogStartOffset);
                w.Int32(m.DivergingEpoch);
                w.Int64(m.DivergingEndOffset);
                var entries = m.Entries ?? [];
                w.Int32(entries.Count);
                for (var i = 0; i < entries.Count; i++)
                {
                    var entry = entries[i];
                    w.Int64(entry?.Offset ?? 0);
                    w.Int32(entry?.Epoch ?? 0);
                    w.Bytes(entry?.Payload);
                }
                w.String(m.LeaderEndpoint);
                break;
            case ProposeRequest m:
                w.Byte(ProposeRequestType);
                w.String(m.ClusterId);
                w.Bytes(m.Payload);
                break;
            case ProposeResponse m:
                w.Byte(ProposeResponseType);
                w.Int16(m.ErrorCode);
                w.Int32(m.LeaderId);
                w.Int32(m.LeaderEpoch);
                w.Int64(m.Offset);
                break;
            default:
                throw new ArgumentException($"{message.GetType().Name} is not a Raft message the codec knows", nameof(message));
        }
    }

    private static object Decode(ReadOnlySpan<byte> source)
    {
        if (source.Length == 0)
            throw new InvalidDataException("empty Raft message");
        if (source.Length > MaxMessageBytes)
            throw new InvalidDataException($"Raft message of {source.Length} bytes exceeds the {MaxMessageBytes}-byte limit");
        var r = new SpanReader(source);
        var type = r.Byte();
        object message = type switch
        {
            VoteRequestType => new VoteRequest(r.String(), r.Int32(), r.Int32(), r.Int32(), r.Int64(), r.Bool()),
            VoteResponseType => new VoteResponse(r.Int16(), r.Int32(), r.Int32(), r.Bool()),
            BeginQuorumEpochRequestType => new BeginQuorumEpochRequest(r.String(), r.Int32(), r.Int32()),
            BeginQuorumEpochResponseType => new BeginQuorumEpochResponse(r.Int16(), r.Int32(), r.Int32()),
            EndQuorumEpochRequestType => new EndQuorumEpochRequest(r.String(), r.Int32(), r.Int32(), ReadInt32List(ref r)),
            EndQuorumEpochResponseType => new EndQuorumEpochResponse(r.Int16(), r.Int32(), r.Int32()),
            FetchRequestType => new FetchRequest(r.String(), r.Int32(), r.Int32(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Int64()),
            FetchResponseType => new FetchResponse(r.Int16(), r.Int32(), r.Int32(), r.Int64(), r.Int64(), r.Int32(), r.Int64(), ReadEntries(ref r), r.String() is { Length: > 0 } endpoint ? endpoint : null),
            ProposeRequestType => new ProposeRequest(r.String(), r.Bytes()),
            ProposeResponseType => new ProposeResponse(r.Int16(), r.Int32(), r.Int32(), r.Int64()),
            _ => throw new InvalidDataException($"unknown Raft message type {type}"),
        };
        if (r.Remaining != 0)
            throw new InvalidDataException($"{r.Remaining} unexpected bytes after Raft message type {type}");
        return message;
    }

    private static int[] ReadInt32List(ref SpanReader r)
    {
        var count = r.Count(4);
        var list = new int[count];
        for (var i = 0; i < count; i++)
            list[i] = r.Int32();
        return list;
    }

    private static RaftEntry[] ReadEntries(ref SpanReader r)
    {
        var count = r.Count(MinEntryBytes);
        var entries = new RaftEntry[count];
        for (var i = 0; i < count; i++)
            entries[i] = new RaftEntry(r.Int64(), r.Int32(), r.Bytes());
        return entries;
    }

    /// <summary>Writes big-endian fields into a buffer, or, made by <see cref="Measuring"/>, only counts their bytes.</summary>
    private ref struct SpanWriter
    {
        private readonly Span<byte> _buffer;
        private readonly bool _measuring;

        public SpanWriter(Span<byte> buffer) => _buffer = buffer;

        private SpanWriter(bool measuring) => _measuring = measuring;

        public static SpanWriter Measuring() => new(measuring: true);

        public long Position { get; private set; }

        public void Byte(byte value)
        {
            if (!_measuring)
                _buffer[(int)Position] = value;
            Position++;
        }

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        public void Int16(short value)
        {
            if (!_measuring)
                BinaryPrimitives.WriteInt16BigEndian(_buffer[(int)Position..], value);
            Position += 2;
        }

        public void Int32(int value)
        {
            if (!_measuring)
                BinaryPrimitives.WriteInt32BigEndian(_buffer[(int)Position..], value);
            Position += 4;
        }

        public void Int64(long value)
        {
            if (!_measuring)
                BinaryPrimitives.WriteInt64BigEndian(_buffer[(int)Position..], value);
            Position += 8;
        }

        public void String(string? value)
        {
            var length = value is null ? 0 : Encoding.UTF8.GetByteCount(value);
            if (length > short.MaxValue)
                throw new ArgumentException($"string of {length} UTF-8 bytes is longer than {short.MaxValue}", nameof(value));
            Int16((short)length);
            if (!_measuring && length > 0)
                Encoding.UTF8.GetBytes(value, _buffer[(int)Position..]);
            Position += length;
        }

        public void Bytes(byte[]? value)
        {
            var bytes = value ?? [];
            Int32(bytes.Length);
            if (!_measuring)
                bytes.CopyTo(_buffer[(int)Position..]);
            Position += bytes.Length;
        }
    }

    private ref struct SpanReader
    {
        private readonly ReadOnlySpan<byte> _buffer;
        private int _position;

        public SpanReader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

        public readonly int Remaining => _buffer.Length - _position;

        public byte Byte() => Take(1)[0];

        public bool Bool() => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new InvalidDataException($"boolean byte {b} at offset {_position - 1} is neither 0 nor 1"),
        };

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public string String()
        {
            var length = Int16();
            if (length < 0)
                throw new InvalidDataException($"negative string length {length} at offset {_position - 2}");
            var bytes = Take(length);
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new InvalidDataException($"string at offset {_position - length} is not valid UTF-8", ex);
            }
        }

        public byte[] Bytes()
        {
            var length = Int32();
            if (length < 0)
                throw new InvalidDataException($"negative byte array length {length} at offset {_position - 4}");
            return Take(length).ToArray();
        }

        /// <summary>A list's element count, checked against what is left given each element's least size.</summary>
        public int Count(int minElementBytes)
        {
            var count = Int32();
            if (count < 0)
                throw new InvalidDataException($"negative list count {count} at offset {_position - 4}");
            if ((long)count * minElementBytes > Remaining)
                throw new InvalidDataException(
                    $"list count {count} at offset {_position - 4} needs at least {(long)count * minElementBytes} bytes but only {Remaining} remain");
            return count;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > Remaining)
                throw new InvalidDataException($"Raft message truncated: {length} bytes needed at offset {_position}, {Remaining} remain");
            var span = _buffer.Slice(_position, length);
            _position += length;
            return span;
        }
    }
}
