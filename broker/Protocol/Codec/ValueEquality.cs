using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Codec;

/// <summary>
/// Structural equality of field values, used to decide whether a tagged field differs from its default and whether
/// a field missing from the target version may be dropped. Lists and structs compare element by element.
/// </summary>
internal static class ValueEquality<T>
{
    private static readonly Func<T, T, bool> Comparer = Build();

    public static bool Equals(T a, T b) => Comparer(a, b);

    private static Func<T, T, bool> Build()
    {
        var type = typeof(T);
        if (type == typeof(byte[]))
        {
            return (Func<T, T, bool>)(object)(Func<byte[]?, byte[]?, bool>)BytesEqual;
        }

        if (typeof(RecordSet).IsAssignableFrom(type))
        {
            return (a, b) => RecordsEqual(a as RecordSet, b as RecordSet);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var method = typeof(ValueEquality<T>).GetMethod(nameof(ListEqual), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type.GetGenericArguments()[0]);
            return (Func<T, T, bool>)Delegate.CreateDelegate(typeof(Func<T, T, bool>), method);
        }

        if (StructInfo.IsStruct(type))
        {
            var info = StructInfo.For(type);
            return (a, b) => a is null ? b is null : b is not null && info.FieldsEqual(a, b);
        }

        return EqualityComparer<T>.Default.Equals;
    }

    private static bool BytesEqual(byte[]? a, byte[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static bool RecordsEqual(RecordSet? a, RecordSet? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is MemoryRecordSet ma && b is MemoryRecordSet mb)
        {
            return ma.Bytes.Span.SequenceEqual(mb.Bytes.Span);
        }

        return false;
    }

    private static bool ListEqual<TElement>(List<TElement>? a, List<TElement>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!ValueEquality<TElement>.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }
}
