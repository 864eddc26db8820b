using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Writes Kafka primitives straight into an <see cref="IBufferWriter{T}"/> (a pipe, a pooled buffer). Nothing is
/// buffered inside the writer, so records can be handed the same output and written in place.
/// </summary>
public ref struct KafkaWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly IBufferWriter<byte> _output;
    private long _written;

    public KafkaWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _written = 0;
    }

    public readonly long BytesWritten => _written;

    public readonly IBufferWriter<byte> Output => _output;

    public void WriteInt8(sbyte value)
    {
        _output.GetSpan(1)[0] = (byte)value;
        Advance(1);
    }

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteBoolean(bool value)
    {
        _output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        Advance(1);
    }

    public void WriteUuid(Guid value)
    {
        value.TryWriteBytes(_output.GetSpan(16), bigEndian: true, out _);
        Advance(16);
    }

    public void WriteUnsignedVarInt(uint value)
    {
        var span = _output.GetSpan(5);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        Advance(i);
    }

    public void WriteUnsignedVarLong(ulong value)
    {
        var span = _output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        Advance(i);
    }

    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarLong(long value) => WriteUnsignedVarLong((ulong)((value << 1) ^ (value >> 63)));

    public void WriteString(string value)
    {
        var length = KafkaSizes.Utf8Length(value);
        if (length > short.MaxValue)
        {
            throw new KafkaProtocolException($"String of {length} bytes is longer than {short.MaxValue}.");
        }

        WriteInt16((short)length);
        WriteUtf8(value, length);
    }

    public void WriteNullableString(string? value)
    {
        if (value is null)
        {
            WriteInt16(-1);
        }
        else
        {
            WriteString(value);
        }
    }

    public void WriteCompactString(string value)
    {
        var length = KafkaSizes.Utf8Length(value);
        WriteUnsignedVarInt((uint)length + 1);
        WriteUtf8(value, length);
    }

    public void WriteCompactNullableString(string? value)
    {
        if (value is null)
        {
            WriteUnsignedVarInt(0);
        }
        else
        {
            WriteCompactString(value);
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    public void WriteNullableBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
        }
        else
        {
            WriteBytes(value);
        }
    }

    public void WriteCompactBytes(ReadOnlySpan<byte> value)
    {
        WriteUnsignedVarInt((uint)value.Length + 1);
        WriteRaw(value);
    }

    public void WriteCompactNullableBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteUnsignedVarInt(0);
        }
        else
        {
            WriteCompactBytes(value);
        }
    }

    /// <summary>A records field: its length, then the record set writes itself into the same output (no copy for files).</summary>
    public void WriteRecords(RecordSet? records, bool compact)
    {
        if (records is null)
        {
            if (compact)
            {
                WriteUnsignedVarInt(0);
            }
            else
            {
                WriteInt32(-1);
            }

            return;
        }

        var size = records.SizeInBytes;
        if (compact)
        {
            WriteUnsignedVarInt((uint)size + 1);
        }
        else
        {
            WriteInt32(size);
        }

        records.WriteTo(_output);
        _written += size;
    }

    /// <summary>Array count; -1 writes the null marker.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarInt((uint)(count + 1));
        }
        else
        {
            WriteInt32(count);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        _output.Write(bytes);
        _written += bytes.Length;
    }

    private void WriteUtf8(string value, int length)
    {
        if (length == 0)
        {
            return;
        }

        var span = _output.GetSpan(length);
        StrictUtf8.GetBytes(value, span);
        Advance(length);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        _written += count;
    }
}
