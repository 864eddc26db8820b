using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Codec;

/// <summary>How one C# type is encoded at one version flavour (compact or not, nullable or not).</summary>
internal abstract class WireType<T>
{
    public abstract T Read(ref KafkaReader reader);

    public abstract void Write(ref KafkaWriter writer, T value);

    public abstract int Size(T value);
}

internal sealed class Int8Wire : WireType<sbyte>
{
    public static readonly Int8Wire Instance = new();

    public override sbyte Read(ref KafkaReader reader) => reader.ReadInt8();

    public override void Write(ref KafkaWriter writer, sbyte value) => writer.WriteInt8(value);

    public override int Size(sbyte value) => 1;
}

internal sealed class Int16Wire : WireType<short>
{
    public static readonly Int16Wire Instance = new();

    public override short Read(ref KafkaReader reader) => reader.ReadInt16();

    public override void Write(ref KafkaWriter writer, short value) => writer.WriteInt16(value);

    public override int Size(short value) => 2;
}

internal sealed class UInt16Wire : WireType<ushort>
{
    public static readonly UInt16Wire Instance = new();

    public override ushort Read(ref KafkaReader reader) => reader.ReadUInt16();

    public override void Write(ref KafkaWriter writer, ushort value) => writer.WriteUInt16(value);

    public override int Size(ushort value) => 2;
}

internal sealed class Int32Wire : WireType<int>
{
    public static readonly Int32Wire Instance = new();

    public override int Read(ref KafkaReader reader) => reader.ReadInt32();

    public override void Write(ref KafkaWriter writer, int value) => writer.WriteInt32(value);

    public override int Size(int value) => 4;
}

internal sealed class UInt32Wire : WireType<uint>
{
    public static readonly UInt32Wire Instance = new();

    public override uint Read(ref KafkaReader reader) => reader.ReadUInt32();

    public override void Write(ref KafkaWriter writer, uint value) => writer.WriteUInt32(value);

    public override int Size(uint value) => 4;
}

internal sealed class Int64Wire : WireType<long>
{
    public static readonly Int64Wire Instance = new();

    public override long Read(ref KafkaReader reader) => reader.ReadInt64();

    public override void Write(ref KafkaWriter writer, long value) => writer.WriteInt64(value);

    public override int Size(long value) => 8;
}

internal sealed class Float64Wire : WireType<double>
{
    public static readonly Float64Wire Instance = new();

    public override double Read(ref KafkaReader reader) => reader.ReadFloat64();

    public override void Write(ref KafkaWriter writer, double value) => writer.WriteFloat64(value);

    public override int Size(double value) => 8;
}

internal sealed class BoolWire : WireType<bool>
{
    public static readonly BoolWire Instance = new();

    public override bool Read(ref KafkaReader reader) => reader.ReadBoolean();

    public override void Write(ref KafkaWriter writer, bool value) => writer.WriteBoolean(value);

    public override int Size(bool value) => 1;
}

internal sealed class UuidWire : WireType<Guid>
{
    public static readonly UuidWire Instance = new();

    public override Guid Read(ref KafkaReader reader) => reader.ReadUuid();

    public override void Write(ref KafkaWriter writer, Guid value) => writer.WriteUuid(value);

    public override int Size(Guid value) => 16;
}

internal sealed class StringWire(bool compact, bool nullable, string name) : WireType<string?>
{
    public override string? Read(ref KafkaReader reader)
    {
        var value = compact ? reader.ReadCompactNullableString() : reader.ReadNullableString();
        return value is null && !nullable ? throw new KafkaProtocolException($"Field {name} is null but not nullable.") : value;
    }

    public override void Write(ref KafkaWriter writer, string? value)
    {
        if (value is null && !nullable)
        {
            throw new KafkaProtocolException($"Field {name} is null but not nullable at this version.");
        }

        if (compact)
        {
            writer.WriteCompactNullableString(value);
        }
        else
        {
            writer.WriteNullableString(value);
        }
    }

    public override int Size(string? value) => KafkaSizes.String(value, compact);
}

internal sealed class BytesWire(bool compact, bool nullable, string name) : WireType<byte[]?>
{
    public override byte[]? Read(ref KafkaReader reader)
    {
        var value = compact ? reader.ReadCompactNullableBytes() : reader.ReadNullableBytes();
        return value is null && !nullable ? throw new KafkaProtocolException($"Field {name} is null but not nullable.") : value;
    }

    public override void Write(ref KafkaWriter writer, byte[]? value)
    {
        if (value is null && !nullable)
        {
            throw new KafkaProtocolException($"Field {name} is null but not nullable at this version.");
        }

        if (compact)
        {
            writer.WriteCompactNullableBytes(value);
        }
        else
        {
            writer.WriteNullableBytes(value);
        }
    }

    public override int Size(byte[]? value) => KafkaSizes.Bytes(value?.Length, compact);
}

internal sealed class RecordsWire(bool compact, bool nullable, string name) : WireType<RecordSet?>
{
    public override RecordSet? Read(ref KafkaReader reader)
    {
        var value = reader.ReadRecords(compact);
        return value is null && !nullable ? throw new KafkaProtocolException($"Field {name} is null but not nullable.") : value;
    }

    public override void Write(ref KafkaWriter writer, RecordSet? value)
    {
        if (value is null && !nullable)
        {
            throw new KafkaProtocolException($"Field {name} is null but not nullable at this version.");
        }

        writer.WriteRecords(value, compact);
    }

    public override int Size(RecordSet? value) => KafkaSizes.Bytes(value?.SizeInBytes, compact);
}

internal sealed class ArrayWire<TElement>(WireType<TElement> element, bool compact, bool nullable, string name) : WireType<List<TElement>?>
{
    public override List<TElement>? Read(ref KafkaReader reader)
    {
        var count = reader.ReadArrayLength(compact);
        if (count < 0)
        {
            return nullable ? null : throw new KafkaProtocolException($"Array {name} is null but not nullable.");
        }

        var list = new List<TElement>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(element.Read(ref reader));
        }

        return list;
    }

    public override void Write(ref KafkaWriter writer, List<TElement>? value)
    {
        if (value is null)
        {
            if (!nullable)
            {
                throw new KafkaProtocolException($"Array {name} is null but not nullable at this version.");
            }

            writer.WriteArrayLength(-1, compact);
            return;
        }

        writer.WriteArrayLength(value.Count, compact);
        foreach (var item in value)
        {
            element.Write(ref writer, item);
        }
    }

    public override int Size(List<TElement>? value)
    {
        if (value is null)
        {
            return KafkaSizes.ArrayLength(-1, compact);
        }

        var size = KafkaSizes.ArrayLength(value.Count, compact);
        foreach (var item in value)
        {
            size += element.Size(item);
        }

        return size;
    }
}

internal sealed class StructWire<TStruct>(StructPlan plan) : WireType<TStruct?>
    where TStruct : class
{
    public override TStruct? Read(ref KafkaReader reader) => (TStruct)plan.Read(ref reader);

    public override void Write(ref KafkaWriter writer, TStruct? value) =>
        plan.Write(ref writer, value ?? throw new KafkaProtocolException($"Struct {typeof(TStruct).Name} is null."));

    public override int Size(TStruct? value) =>
        plan.Size(value ?? throw new KafkaProtocolException($"Struct {typeof(TStruct).Name} is null."));
}

/// <summary>A struct field with nullableVersions (DescribeTopicPartitions' Cursor): an int8 marker, -1 for null, 1 before the struct.</summary>
internal sealed class NullableStructWire<TStruct>(StructPlan plan) : WireType<TStruct?>
    where TStruct : class
{
    public override TStruct? Read(ref KafkaReader reader) => reader.ReadInt8() < 0 ? null : (TStruct)plan.Read(ref reader);

    public override void Write(ref KafkaWriter writer, TStruct? value)
    {
        if (value is null)
        {
            writer.WriteInt8(-1);
            return;
        }

        writer.WriteInt8(1);
        plan.Write(ref writer, value);
    }

    public override int Size(TStruct? value) => value is null ? 1 : 1 + plan.Size(value);
}
