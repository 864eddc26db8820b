namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>One key the sketch holds: its hash, its first bytes (for display), and its estimated count.</summary>
/// <param name="Count">An overestimate of the key's (weighted) count: true count ≤ Count.</param>
/// <param name="Error">How much of <paramref name="Count"/> may belong to keys it replaced: Count − Error ≤ true count.</param>
public readonly record struct HeavyHitter(ulong Hash, byte[] Prefix, int KeyLength, long Count, long Error);

/// <summary>
/// Space-Saving (Metwally, Agrawal, El Abbadi 2005) over 64-bit key hashes with a fixed number of counters. Every
/// key whose count exceeds total / capacity is held, with true count ≤ Count ≤ true count + Error; a new key takes
/// the smallest counter's place and inherits its count as its error. <see cref="Halve"/> divides every count by two,
/// which ages the sketch (and the caller's total) so that shares follow recent traffic. Arrays are allocated once;
/// nothing is allocated per observation. Not thread-safe: the caller serialises.
/// </summary>
public sealed class KeySketch
{
    /// <summary>Bytes of each key kept for display; the hash identifies the key.</summary>
    public const int PrefixBytes = 24;

    private readonly ulong[] _hashes;
    private readonly long[] _counts;
    private readonly long[] _errors;
    private readonly int[] _lengths;
    private readonly byte[] _prefixes;
    private int _size;

    public KeySketch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _hashes = new ulong[capacity];
        _counts = new long[capacity];
        _errors = new long[capacity];
        _lengths = new int[capacity];
        _prefixes = new byte[capacity * PrefixBytes];
    }

    public int Capacity => _hashes.Length;

    public int Count => _size;

    /// <summary>Adds <paramref name="weight"/> occurrences of the key with this hash.</summary>
    public void Add(ulong hash, ReadOnlySpan<byte> key, int keyLength, long weight)
    {
        for (var i = 0; i < _size; i++)
        {
            if (_hashes[i] == hash)
            {
                _counts[i] += weight;
                return;
            }
        }
        int slot;
        long inherited;
        if (_size < _hashes.Length)
        {
            slot = _size++;
            inherited = 0;
        }
        else
        {
            slot = 0;
            for (var i = 1; i < _size; i++)
            {
                if (_counts[i] < _counts[slot])
                    slot = i;
            }
            inherited = _counts[slot];
        }
        _hashes[slot] = hash;
        _counts[slot] = inherited + weight;
        _errors[slot] = inherited;
        _lengths[slot] = keyLength;
        var prefix = _prefixes.AsSpan(slot * PrefixBytes, PrefixBytes);
        prefix.Clear();
        key[..Math.Min(key.Length, PrefixBytes)].CopyTo(prefix);
    }

    /// <summary>Halves every count and error; counters that reach zero are freed.</summary>
    public void Halve()
    {
        var kept = 0;
        for (var i = 0; i < _size; i++)
        {
            var count = _counts[i] >> 1;
            if (count == 0)
                continue;
            if (kept != i)
            {
                _hashes[kept] = _hashes[i];
                _lengths[kept] = _lengths[i];
                _prefixes.AsSpan(i * PrefixBytes, PrefixBytes).CopyTo(_prefixes.AsSpan(kept * PrefixBytes, PrefixBytes));
            }
            _counts[kept] = count;
            _errors[kept] = _errors[i] >> 1;
            kept++;
        }
        _size = kept;
    }

    public void Clear() => _size = 0;

    /// <summary>The <paramref name="n"/> largest counters, largest first (allocates: for reports, not the hot path).</summary>
    public List<HeavyHitter> Top(int n)
    {
        var all = new List<HeavyHitter>(_size);
        for (var i = 0; i < _size; i++)
        {
            var length = Math.Min(_lengths[i], PrefixBytes);
            all.Add(new HeavyHitter(_hashes[i], _prefixes.AsSpan(i * PrefixBytes, Math.Max(0, length)).ToArray(), _lengths[i], _counts[i], _errors[i]));
        }
        all.Sort((a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : a.Hash.CompareTo(b.Hash));
        if (all.Count > n)
            all.RemoveRange(n, all.Count - n);
        return all;
    }
}
