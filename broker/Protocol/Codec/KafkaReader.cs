using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Reads Kafka primitives from one request or response frame. Every length is checked against the bytes left
/// before anything is allocated, so hostile lengths cost nothing. Records fields are slices of the frame, not copies.
/// </summary>
public ref struct KafkaReader
{
    private static readonly UTF8Encoding LenientUtf8 = new(false, false);
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public KafkaReader(ReadOnlyMemory<byte> buffer)
    {
        _buffer = buffer;
        _span = buffer.Span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public readonly bool IsAtEnd => _position >= _span.Length;

    /// <summary>The unread part of the frame, without consuming it.</summary>
    public readonly ReadOnlyMemory<byte> RemainingMemory => _buffer[_position..];

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Kafka writes a UUID as its most then least significant 64 bits, both big-endian.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            if (shift == 28 && b > 0x0F)
            {
                throw new KafkaProtocolException("Unsigned varint does not fit in 32 bits.");
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new KafkaProtocolException("Unsigned varint is longer than 5 bytes.");
    }

    public ulong ReadUnsignedVarLong()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Take(1)[0];
            if (shift == 63 && b > 0x01)
            {
                throw new KafkaProtocolException("Unsigned varlong does not fit in 64 bits.");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new KafkaProtocolException("Unsigned varlong is longer than 10 bytes.");
    }

    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    public long ReadVarLong()
    {
        var raw = ReadUnsignedVarLong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public string ReadString() =>
        ReadNullableString() ?? throw new KafkaProtocolException("Non-nullable string has a null length.");

    public string? ReadNullableString()
    {
        var length = ReadInt16();
        return length == -1 ? null : DecodeString(CheckLength(length));
    }

    public string ReadCompactString() =>
        ReadCompactNullableString() ?? throw new KafkaProtocolException("Non-nullable compact string is null.");

    public string? ReadCompactNullableString()
    {
        var length = ReadCompactLength();
        return length == -1 ? null : DecodeString(length);
    }

    public byte[] ReadBytes() =>
        ReadNullableBytes() ?? throw new KafkaProtocolException("Non-nullable bytes field has a null length.");

    public byte[]? ReadNullableBytes()
    {
        var length = ReadInt32();
        return length == -1 ? null : Take(CheckLength(length)).ToArray();
    }

    public byte[] ReadCompactBytes() =>
        ReadCompactNullableBytes() ?? throw new KafkaProtocolException("Non-nullable compact bytes field is null.");

    public byte[]? ReadCompactNullableBytes()
    {
        var length = ReadCompactLength();
        return length == -1 ? null : Take(length).ToArray();
    }

    /// <summary>A records field as a slice of the frame (no copy); null for the null marker.</summary>
    public MemoryRecordSet? ReadRecords(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt32();
        if (length == -1)
        {
            return null;
        }

        var slice = ReadMemory(CheckLength(length));
        return new MemoryRecordSet(slice);
    }

    /// <summary>Consumes <paramref name="length"/> bytes and returns them as a slice of the frame.</summary>
    public ReadOnlyMemory<byte> ReadMemory(int length)
    {
        CheckLength(length);
        var slice = _buffer.Slice(_position, length);
        _position += length;
        return slice;
    }

    /// <summary>Array element count, -1 for a null array. The count is bounded by the bytes left (every element takes one byte or more).</summary>
    public int ReadArrayLength(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt32();
        return length == -1 ? -1 : CheckLength(length);
    }

    /// <summary>Reads a compact length (unsigned varint N+1, 0 = null) and checks it against the bytes left.</summary>
    public int ReadCompactLength()
    {
        var raw = ReadUnsignedVarInt();
        if (raw == 0)
        {
            return -1;
        }

        if (raw - 1 > int.MaxValue)
        {
            throw new KafkaProtocolException($"Compact length {raw - 1} is too large.");
        }

        return CheckLength((int)(raw - 1));
    }

    /// <summary>Skips a whole tagged-field section (used where no tagged field is known, e.g. headers).</summary>
    public void SkipTaggedFields()
    {
        var count = ReadUnsignedVarInt();
        for (uint i = 0; i < count; i++)
        {
            ReadUnsignedVarInt();
            Skip(ReadTaggedFieldSize());
        }
    }

    public int ReadTaggedFieldSize()
    {
        var size = ReadUnsignedVarInt();
        if (size > int.MaxValue)
        {
            throw new KafkaProtocolException($"Tagged field size {size} is too large.");
        }

        return CheckLength((int)size);
    }

    /// <summary>A reader over the next <paramref name="length"/> bytes; this reader moves past them.</summary>
    public KafkaReader ReadSubReader(int length) => new(ReadMemory(length));

    public void Skip(int count) => Take(count);

    private int CheckLength(int length)
    {
        if (length < 0)
        {
            throw new KafkaProtocolException($"Negative length {length} at offset {_position}.");
        }

        if (length > Remaining)
        {
            throw new KafkaProtocolException($"Length {length} at offset {_position} exceeds the {Remaining} bytes left.");
        }

        return length;
    }

    private string DecodeString(int length)
    {
        if (length == 0)
        {
            return string.Empty;
        }

        var bytes = Take(length);
        try
        {
            return LenientUtf8.GetString(bytes);
        }
        catch (ArgumentException e)
        {
            throw new KafkaProtocolException("String is not valid UTF-8.", e);
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new KafkaProtocolException($"Truncated input: needed {count} bytes at offset {_position}, {Remaining} left.");
        }

        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }
}
