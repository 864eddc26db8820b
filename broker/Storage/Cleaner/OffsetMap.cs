using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KafkaOperator.Storage.Cleaner;

/// <summary>
/// key → last offset over the dirty section, as Kafka's SkimpyOffsetMap: keys are stored as a 128-bit hash
/// (the first half of SHA-256), so memory per key is fixed; a collision (2^-64) would only drop one record.
/// </summary>
internal sealed class OffsetMap(int capacity)
{
    private readonly Dictionary<(long, long), long> _map = [];

    public int Capacity { get; } = capacity;

    public int Count => _map.Count;

    public bool IsFull => _map.Count >= Capacity;

    public void Put(ReadOnlySpan<byte> key, long offset) => _map[Hash(key)] = offset;

    /// <summary>The last offset of <paramref name="key"/> in the dirty section, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key) => _map.TryGetValue(Hash(key), out var o) ? o : -1;

    private static (long, long) Hash(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(key, digest);
        return (BinaryPrimitives.ReadInt64LittleEndian(digest), BinaryPrimitives.ReadInt64LittleEndian(digest[8..]));
    }
}

/// <summary>What one compaction pass did.</summary>
public readonly record struct CleanResult(int SegmentsIn, int SegmentsOut, long BytesIn, long BytesOut, long RecordsRemoved, long FirstDirtyOffset, long CleanedUpTo);
