using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// The version-independent description of a message or nested struct: its constructor, its [Field] properties in
/// order with compiled accessors, and a freshly constructed prototype whose values are the defaults.
/// </summary>
internal sealed class StructInfo
{
    private static readonly ConcurrentDictionary<Type, StructInfo> Cache = new();

    private StructInfo(Type type)
    {
        Type = type;
        var ctor = type.GetConstructor(Type.EmptyTypes)
            ?? throw new InvalidOperationException($"{type.Name} needs a public parameterless constructor.");
        Create = Expression.Lambda<Func<object>>(Expression.New(ctor)).Compile();
        Prototype = Create();
        Fields = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<FieldAttribute>()))
            .Where(p => p.Attribute is not null)
            .OrderBy(p => p.Attribute!.Order)
            .Select(p => FieldAccessor.Create(p.Property, p.Attribute!, Prototype))
            .ToArray();
    }

    public Type Type { get; }

    public Func<object> Create { get; }

    public object Prototype { get; }

    public FieldAccessor[] Fields { get; }

    public static StructInfo For(Type type) => Cache.GetOrAdd(type, t => new StructInfo(t));

    public static bool IsStruct(Type type) =>
        type.IsClass && type != typeof(string) && !type.IsArray && !typeof(Records.RecordSet).IsAssignableFrom(type)
        && type.GetProperties().Any(p => p.IsDefined(typeof(FieldAttribute), false));

    public bool AllDefault(object value)
    {
        foreach (var field in Fields)
        {
            if (!field.IsDefault(value))
            {
                return false;
            }
        }

        return true;
    }

    public bool FieldsEqual(object a, object b)
    {
        foreach (var field in Fields)
        {
            if (!field.ValuesEqual(a, b))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>One [Field] property: attribute data parsed once, plus typed getter and setter.</summary>
internal abstract class FieldAccessor
{
    protected FieldAccessor(PropertyInfo property, FieldAttribute attribute)
    {
        Property = property;
        Name = $"{property.DeclaringType!.Name}.{property.Name}";
        Versions = VersionRange.Parse(attribute.Versions);
        NullableVersions = VersionRange.Parse(attribute.NullableVersions);
        Tag = attribute.Tag;
        TaggedVersions = attribute.TaggedVersions is null ? Versions : VersionRange.Parse(attribute.TaggedVersions);
        Ignorable = attribute.Ignorable;
    }

    public PropertyInfo Property { get; }

    public string Name { get; }

    public VersionRange Versions { get; }

    public VersionRange NullableVersions { get; }

    public int Tag { get; }

    public VersionRange TaggedVersions { get; }

    public bool Ignorable { get; }

    public Type ValueType => Property.PropertyType;

    public static FieldAccessor Create(PropertyInfo property, FieldAttribute attribute, object prototype)
    {
        var type = typeof(FieldAccessor<,>).MakeGenericType(property.DeclaringType!, property.PropertyType);
        return (FieldAccessor)Activator.CreateInstance(type, property, attribute, prototype)!;
    }

    public abstract bool IsDefault(object owner);

    public abstract bool ValuesEqual(object a, object b);

    public abstract FieldCodec CreateCodec(object wire);
}

internal abstract class FieldAccessor<T>(PropertyInfo property, FieldAttribute attribute) : FieldAccessor(property, attribute)
{
    public abstract T Get(object owner);

    public abstract void Set(object owner, T value);
}

internal sealed class FieldAccessor<TOwner, T> : FieldAccessor<T>
    where TOwner : class
{
    private readonly Func<TOwner, T> _get;
    private readonly Action<TOwner, T> _set;
    private readonly T _default;

    public FieldAccessor(PropertyInfo property, FieldAttribute attribute, object prototype)
        : base(property, attribute)
    {
        _get = property.GetGetMethod()!.CreateDelegate<Func<TOwner, T>>();
        _set = (property.GetSetMethod() ?? throw new InvalidOperationException($"{Name} needs a public setter."))
            .CreateDelegate<Action<TOwner, T>>();
        _default = _get((TOwner)prototype);
    }

    public override T Get(object owner) => _get((TOwner)owner);

    public override void Set(object owner, T value) => _set((TOwner)owner, value);

    public override bool IsDefault(object owner) => ValueEquality<T>.Equals(_get((TOwner)owner), _default);

    public override bool ValuesEqual(object a, object b) => ValueEquality<T>.Equals(_get((TOwner)a), _get((TOwner)b));

    public override FieldCodec CreateCodec(object wire) => new FieldCodec<T>(this, (WireType<T>)wire);
}
