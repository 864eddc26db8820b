namespace KafkaOperator.Protocol.Records;

/// <summary>
/// The zigzag varints of records (protobuf style, as org.apache.kafka.common.utils.ByteUtils): a varint is at most
/// 5 bytes and a varlong at most 10; extra high bits in the last byte are dropped as Kafka drops them.
/// </summary>
public static class RecordVarint
{
    public const int MaxVarintBytes = 5;
    public const int MaxVarlongBytes = 10;

    /// <summary>Reads a zigzag varint; false when the span ends first or the varint is longer than 5 bytes.</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        uint raw = 0;
        for (var i = 0; i < MaxVarintBytes && i < source.Length; i++)
        {
            var b = source[i];
            raw |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (int)(raw >> 1) ^ -(int)(raw & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>Reads a zigzag varlong; false when the span ends first or the varlong is longer than 10 bytes.</summary>
    public static bool TryReadVarlong(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        ulong raw = 0;
        for (var i = 0; i < MaxVarlongBytes && i < source.Length; i++)
        {
            var b = source[i];
            raw |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    public static int SizeOfVarint(int value) => SizeOfUnsigned((uint)((value << 1) ^ (value >> 31)));

    public static int SizeOfVarlong(long value) => SizeOfUnsigned((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes a zigzag varint and returns its size; the span needs <see cref="SizeOfVarint"/> bytes.</summary>
    public static int WriteVarint(Span<byte> destination, int value) => WriteUnsigned(destination, (uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes a zigzag varlong and returns its size; the span needs <see cref="SizeOfVarlong"/> bytes.</summary>
    public static int WriteVarlong(Span<byte> destination, long value) => WriteUnsigned(destination, (ulong)((value << 1) ^ (value >> 63)));

    private static int SizeOfUnsigned(ulong raw)
    {
        var size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteUnsigned(Span<byte> destination, ulong raw)
    {
        var i = 0;
        while (raw >= 0x80)
        {
            destination[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        destination[i++] = (byte)raw;
        return i;
    }
}
