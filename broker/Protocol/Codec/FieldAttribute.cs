namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// One field of a message or nested struct. Version ranges use the spec's notation: "0+", "3-7", "none".
/// The wire type follows from the property's C# type (sbyte=int8, short=int16, ushort=uint16, int=int32,
/// uint=uint32, long=int64, double=float64, bool, Guid=uuid, string, byte[]=bytes, RecordSet=records,
/// List&lt;T&gt;=array), so it is stated once.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FieldAttribute(int order) : Attribute
{
    /// <summary>Position of the field within its struct; fields are written in this order.</summary>
    public int Order { get; } = order;

    public string Versions { get; init; } = "0+";

    public string? NullableVersions { get; init; }

    /// <summary>Tag number for a tagged field (flexible versions only); -1 for a regular field.</summary>
    public int Tag { get; init; } = -1;

    /// <summary>Versions in which the tagged field may appear; defaults to <see cref="Versions"/>.</summary>
    public string? TaggedVersions { get; init; }

    /// <summary>True when writing a non-default value at a version that lacks the field may be silently dropped.</summary>
    public bool Ignorable { get; init; }
}
