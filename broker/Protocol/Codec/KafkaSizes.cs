using System.Text;

namespace KafkaOperator.Protocol.Codec;

/// <summary>Encoded sizes of Kafka primitives, matching what <see cref="KafkaWriter"/> writes.</summary>
public static class KafkaSizes
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static int UnsignedVarInt(uint value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int UnsignedVarLong(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int VarInt(int value) => UnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public static int VarLong(long value) => UnsignedVarLong((ulong)((value << 1) ^ (value >> 63)));

    public static int Utf8Length(string value)
    {
        try
        {
            return StrictUtf8.GetByteCount(value);
        }
        catch (ArgumentException e)
        {
            throw new KafkaProtocolException("String contains invalid UTF-16 (unpaired surrogate).", e);
        }
    }

    public static int String(string? value, bool compact)
    {
        if (value is null)
        {
            return compact ? 1 : 2;
        }

        var length = Utf8Length(value);
        return compact ? UnsignedVarInt((uint)length + 1) + length : 2 + length;
    }

    public static int Bytes(int? length, bool compact)
    {
        if (length is not { } n)
        {
            return compact ? 1 : 4;
        }

        return compact ? UnsignedVarInt((uint)n + 1) + n : 4 + n;
    }

    public static int ArrayLength(int count, bool compact) => compact ? UnsignedVarInt((uint)(count + 1)) : 4;
}
