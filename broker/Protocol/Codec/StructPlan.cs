using System.Collections.Concurrent;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Codec;

/// <summary>One field bound to its wire encoding at one version.</summary>
internal abstract class FieldCodec(FieldAccessor accessor)
{
    public FieldAccessor Accessor { get; } = accessor;

    public int Tag => Accessor.Tag;

    public abstract void Read(ref KafkaReader reader, object owner);

    public abstract void Write(ref KafkaWriter writer, object owner);

    public abstract int Size(object owner);
}

internal sealed class FieldCodec<T> : FieldCodec
{
    private readonly FieldAccessor<T> _accessor;
    private readonly WireType<T> _wire;

    public FieldCodec(FieldAccessor<T> accessor, WireType<T> wire)
        : base(accessor)
    {
        _accessor = accessor;
        _wire = wire;
    }

    public override void Read(ref KafkaReader reader, object owner) => _accessor.Set(owner, _wire.Read(ref reader));

    public override void Write(ref KafkaWriter writer, object owner) => _wire.Write(ref writer, _accessor.Get(owner));

    public override int Size(object owner) => _wire.Size(_accessor.Get(owner));
}

/// <summary>
/// How to read, write and size one struct at one version: regular fields in order, then (flexible versions) the
/// tagged-field section. Built once per (type, version, flexible) and cached; every nested struct gets its own plan.
/// </summary>
internal sealed class StructPlan
{
    private static readonly ConcurrentDictionary<(Type Type, short Version, bool Flexible), StructPlan> Cache = new();

    private readonly StructInfo _info;
    private readonly FieldCodec[] _regular;
    private readonly FieldCodec[] _tagged;
    private readonly FieldAccessor[] _absentStrict;
    private readonly short _version;

    private StructPlan(Type type, short version, bool flexible)
    {
        _info = StructInfo.For(type);
        _version = version;
        Flexible = flexible;
        var regular = new List<FieldCodec>();
        var tagged = new List<FieldCodec>();
        var absent = new List<FieldAccessor>();
        foreach (var field in _info.Fields)
        {
            if (field.Tag >= 0 ? flexible && field.TaggedVersions.Contains(version) : field.Versions.Contains(version))
            {
                var nullable = field.NullableVersions.Contains(version);
                var codec = field.CreateCodec(CreateWire(field.ValueType, version, flexible, nullable, field.Name));
                (field.Tag >= 0 ? tagged : regular).Add(codec);
            }
            else if (!field.Ignorable)
            {
                absent.Add(field);
            }
        }

        _regular = [.. regular];
        _tagged = [.. tagged.OrderBy(c => c.Tag)];
        _absentStrict = [.. absent];
    }

    public bool Flexible { get; }

    public static StructPlan For(Type type, short version, bool flexible) =>
        Cache.GetOrAdd((type, version, flexible), key => new StructPlan(key.Type, key.Version, key.Flexible));

    public object Read(ref KafkaReader reader)
    {
        var owner = _info.Create();
        foreach (var field in _regular)
        {
            field.Read(ref reader, owner);
        }

        if (Flexible)
        {
            ReadTaggedFields(ref reader, owner);
        }

        return owner;
    }

    public void Write(ref KafkaWriter writer, object owner)
    {
        CheckAbsentFields(owner);
        foreach (var field in _regular)
        {
            field.Write(ref writer, owner);
        }

        if (!Flexible)
        {
            return;
        }

        var count = 0;
        foreach (var field in _tagged)
        {
            if (!field.Accessor.IsDefault(owner))
            {
                count++;
            }
        }

        writer.WriteUnsignedVarInt((uint)count);
        foreach (var field in _tagged)
        {
            if (!field.Accessor.IsDefault(owner))
            {
                writer.WriteUnsignedVarInt((uint)field.Tag);
                writer.WriteUnsignedVarInt((uint)field.Size(owner));
                field.Write(ref writer, owner);
            }
        }
    }

    public int Size(object owner)
    {
        CheckAbsentFields(owner);
        var size = 0;
        foreach (var field in _regular)
        {
            size += field.Size(owner);
        }

        if (!Flexible)
        {
            return size;
        }

        var count = 0;
        foreach (var field in _tagged)
        {
            if (!field.Accessor.IsDefault(owner))
            {
                count++;
                var fieldSize = field.Size(owner);
                size += KafkaSizes.UnsignedVarInt((uint)field.Tag) + KafkaSizes.UnsignedVarInt((uint)fieldSize) + fieldSize;
            }
        }

        return size + KafkaSizes.UnsignedVarInt((uint)count);
    }

    private void ReadTaggedFields(ref KafkaReader reader, object owner)
    {
        var count = reader.ReadUnsignedVarInt();
        for (uint i = 0; i < count; i++)
        {
            var tag = reader.ReadUnsignedVarInt();
            var size = reader.ReadTaggedFieldSize();
            var codec = FindTagged(tag);
            if (codec is null)
            {
                reader.Skip(size);
                continue;
            }

            var sub = reader.ReadSubReader(size);
            codec.Read(ref sub, owner);
        }
    }

    private FieldCodec? FindTagged(uint tag)
    {
        foreach (var field in _tagged)
        {
            if (field.Tag == tag)
            {
                return field;
            }
        }

        return null;
    }

    private void CheckAbsentFields(object owner)
    {
        foreach (var field in _absentStrict)
        {
            if (!field.IsDefault(owner))
            {
                throw new KafkaProtocolException(
                    $"Field {field.Name} has a non-default value but does not exist in version {_version}.");
            }
        }
    }

    private static object CreateWire(Type type, short version, bool flexible, bool nullable, string name)
    {
        if (type == typeof(sbyte))
        {
            return Int8Wire.Instance;
        }

        if (type == typeof(short))
        {
            return Int16Wire.Instance;
        }

        if (type == typeof(ushort))
        {
            return UInt16Wire.Instance;
        }

        if (type == typeof(int))
        {
            return Int32Wire.Instance;
        }

        if (type == typeof(uint))
        {
            return UInt32Wire.Instance;
        }

        if (type == typeof(long))
        {
            return Int64Wire.Instance;
        }

        if (type == typeof(double))
        {
            return Float64Wire.Instance;
        }

        if (type == typeof(bool))
        {
            return BoolWire.Instance;
        }

        if (type == typeof(Guid))
        {
            return UuidWire.Instance;
        }

        if (type == typeof(string))
        {
            return new StringWire(flexible, nullable, name);
        }

        if (type == typeof(byte[]))
        {
            return new BytesWire(flexible, nullable, name);
        }

        if (type == typeof(RecordSet))
        {
            return new RecordsWire(flexible, nullable, name);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var elementType = type.GetGenericArguments()[0];
            var element = CreateWire(elementType, version, flexible, false, name);
            var wireType = typeof(ArrayWire<>).MakeGenericType(elementType);
            return Activator.CreateInstance(wireType, element, flexible, nullable, name)!;
        }

        if (StructInfo.IsStruct(type))
        {
            var wireType = (nullable ? typeof(NullableStructWire<>) : typeof(StructWire<>)).MakeGenericType(type);
            return Activator.CreateInstance(wireType, For(type, version, flexible))!;
        }

        throw new InvalidOperationException($"Field {name} has unsupported type {type.Name}.");
    }
}
