using System.Collections;
using System.Reflection;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Messages;

/// <summary>
/// Builds message instances whose every field that exists at a version holds a non-default value (so a codec that
/// skipped or misplaced a field would be caught), and compares instances field by field.
/// </summary>
internal static class MessageFactory
{
    public static IEnumerable<Type> AllMessageTypes() =>
        typeof(ApiKey).Assembly.GetTypes().Where(t => t.GetCustomAttribute<ApiMessageAttribute>() is not null);

    public static object Populate(Type type, short version, int seed)
    {
        var attribute = type.GetCustomAttribute<ApiMessageAttribute>()!;
        var random = new Random(seed);
        return PopulateStruct(type, version, version >= attribute.FlexibleFrom, random, depth: 0);
    }

    private static object PopulateStruct(Type type, short version, bool flexible, Random random, int depth)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var (property, field) in Fields(type))
        {
            var present = field.Tag >= 0
                ? flexible && VersionRange.Parse(field.TaggedVersions ?? field.Versions).Contains(version)
                : VersionRange.Parse(field.Versions).Contains(version);
            if (!present)
            {
                continue;
            }

            var nullable = VersionRange.Parse(field.NullableVersions).Contains(version);
            property.SetValue(instance, CreateValue(property.PropertyType, version, flexible, nullable, random, depth));
        }

        return instance;
    }

    private static object? CreateValue(Type type, short version, bool flexible, bool nullable, Random random, int depth)
    {
        // A third of nullable values are null so both encodings are exercised.
        if (nullable && random.Next(3) == 0)
        {
            return null;
        }

        if (type == typeof(sbyte))
        {
            return (sbyte)random.Next(1, 127);
        }

        if (type == typeof(short))
        {
            return (short)random.Next(1, short.MaxValue);
        }

        if (type == typeof(ushort))
        {
            return (ushort)random.Next(1, ushort.MaxValue);
        }

        if (type == typeof(int))
        {
            return random.Next(1, int.MaxValue - 1);
        }

        if (type == typeof(uint))
        {
            return (uint)random.Next(1, int.MaxValue);
        }

        if (type == typeof(long))
        {
            return random.NextInt64(1, long.MaxValue - 1);
        }

        if (type == typeof(double))
        {
            return random.NextDouble() + 1;
        }

        if (type == typeof(bool))
        {
            // Non-default for bools whose default is true is handled by the comparer, not here: both values round-trip.
            return random.Next(2) == 0;
        }

        if (type == typeof(Guid))
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            return new Guid(bytes);
        }

        if (type == typeof(string))
        {
            return "s" + random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture) + (random.Next(2) == 0 ? "é" : "");
        }

        if (type == typeof(byte[]))
        {
            var bytes = new byte[random.Next(1, 12)];
            random.NextBytes(bytes);
            return bytes;
        }

        if (type == typeof(RecordSet))
        {
            var bytes = new byte[random.Next(1, 40)];
            random.NextBytes(bytes);
            return new MemoryRecordSet(bytes);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var elementType = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(type)!;
            var count = depth > 3 ? 1 : random.Next(1, 3);
            for (var i = 0; i < count; i++)
            {
                list.Add(CreateValue(elementType, version, flexible, false, random, depth + 1));
            }

            return list;
        }

        return PopulateStruct(type, version, flexible, random, depth + 1);
    }

    private static IEnumerable<(PropertyInfo Property, FieldAttribute Field)> Fields(Type type) =>
        type.GetProperties()
            .Select(p => (Property: p, Field: p.GetCustomAttribute<FieldAttribute>()!))
            .Where(p => p.Field is not null)
            .OrderBy(p => p.Field.Order);

    /// <summary>Null when equal, else the path of the first difference.</summary>
    public static string? FindDifference(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: {expected ?? "null"} vs {actual ?? "null"}";
        }

        var type = expected.GetType();
        switch (expected)
        {
            case string or sbyte or short or ushort or int or uint or long or double or bool or Guid:
                return expected.Equals(actual) ? null : $"{path}: {expected} vs {actual}";
            case byte[] bytes:
                return actual is byte[] other && bytes.AsSpan().SequenceEqual(other) ? null : $"{path}: bytes differ";
            case MemoryRecordSet records:
                return actual is MemoryRecordSet otherRecords && records.Bytes.Span.SequenceEqual(otherRecords.Bytes.Span)
                    ? null
                    : $"{path}: records differ";
            case IList list:
                var otherList = (IList)actual;
                if (list.Count != otherList.Count)
                {
                    return $"{path}: count {list.Count} vs {otherList.Count}";
                }

                for (var i = 0; i < list.Count; i++)
                {
                    if (FindDifference(list[i], otherList[i], $"{path}[{i}]") is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            default:
                foreach (var (property, _) in Fields(type))
                {
                    if (FindDifference(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}") is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
        }
    }
}
