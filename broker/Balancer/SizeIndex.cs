using System.Numerics;

namespace KafkaOperator.Balancer;

/// <summary>
/// Every partition's rank when all are ordered by (size, partition): the shared coordinate the brokers' size indexes
/// are bit sets over.
/// </summary>
internal sealed class SizeOrder
{
    public readonly long[] SizeAt;
    public readonly int[] PartitionAt;
    public readonly int[] RankOf;

    public SizeOrder(long[] sizes)
    {
        var order = new (long Size, int Partition)[sizes.Length];
        for (var p = 0; p < sizes.Length; p++)
            order[p] = (sizes[p], p);
        Array.Sort(order);
        SizeAt = new long[sizes.Length];
        PartitionAt = new int[sizes.Length];
        RankOf = new int[sizes.Length];
        for (var r = 0; r < order.Length; r++)
        {
            (SizeAt[r], PartitionAt[r]) = order[r];
            RankOf[order[r].Partition] = r;
        }
    }

    /// <summary>The first rank whose size is at least <paramref name="pivot"/>.</summary>
    public int LowerBound(long pivot)
    {
        int lo = 0, hi = SizeAt.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (SizeAt[mid] < pivot)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}

/// <summary>
/// One broker's replicas ordered by size, for finding a replica of about a wanted size: a bit per partition rank with
/// a summary bit per 64-bit word, so adding, removing, membership and the next replica above or below a size each
/// take a few word operations. The sorted arrays with lazily dropped entries this replaced spent most of a plan
/// rewriting themselves, since the planner takes replicas off the same end of a broker's range again and again.
/// </summary>
internal sealed class SizeIndex(SizeOrder order)
{
    private readonly ulong[] _words = new ulong[(order.RankOf.Length + 63) >> 6];
    private readonly ulong[] _summary = new ulong[(((order.RankOf.Length + 63) >> 6) + 63) >> 6];

    public SizeOrder Order => order;

    public bool Contains(int partition)
    {
        var r = order.RankOf[partition];
        return (_words[r >> 6] & (1UL << r)) != 0;
    }

    public void Add(int partition)
    {
        var r = order.RankOf[partition];
        _words[r >> 6] |= 1UL << r;
        _summary[r >> 12] |= 1UL << (r >> 6);
    }

    public void Remove(int partition)
    {
        var r = order.RankOf[partition];
        var w = r >> 6;
        _words[w] &= ~(1UL << r);
        if (_words[w] == 0)
            _summary[w >> 6] &= ~(1UL << w);
    }

    /// <summary>The smallest rank held that is at least <paramref name="from"/>, or -1.</summary>
    public int Next(int from)
    {
        if (from >= order.RankOf.Length)
            return -1;
        var w = from >> 6;
        var bits = _words[w] & (ulong.MaxValue << from);
        if (bits != 0)
            return (w << 6) + BitOperations.TrailingZeroCount(bits);
        w++;
        for (var s = w >> 6; s < _summary.Length; s++)
        {
            var words = _summary[s];
            if (s == w >> 6)
                words &= (w & 63) == 0 ? ulong.MaxValue : ulong.MaxValue << w;
            if (words != 0)
            {
                var found = (s << 6) + BitOperations.TrailingZeroCount(words);
                return (found << 6) + BitOperations.TrailingZeroCount(_words[found]);
            }
        }
        return -1;
    }

    /// <summary>The largest rank held that is at most <paramref name="from"/>, or -1.</summary>
    public int Previous(int from)
    {
        if (from < 0)
            return -1;
        var w = from >> 6;
        var bits = _words[w] & (ulong.MaxValue >> (63 - (from & 63)));
        if (bits != 0)
            return (w << 6) + 63 - BitOperations.LeadingZeroCount(bits);
        w--;
        for (var s = w >> 6; w >= 0 && s >= 0; s--)
        {
            var words = _summary[s];
            if (s == w >> 6)
                words &= ulong.MaxValue >> (63 - (w & 63));
            if (words != 0)
            {
                var found = (s << 6) + 63 - BitOperations.LeadingZeroCount(words);
                return (found << 6) + 63 - BitOperations.LeadingZeroCount(_words[found]);
            }
        }
        return -1;
    }

    public IEnumerable<(long Size, int Partition)> Ascending()
    {
        for (var r = Next(0); r >= 0; r = Next(r + 1))
            yield return (order.SizeAt[r], order.PartitionAt[r]);
    }

    /// <summary>Entries from the first with size ≥ pivot upwards, and from the last with size &lt; pivot downwards.</summary>
    public Cursor From(long pivot) => new(this, pivot);

    internal struct Cursor
    {
        private readonly SizeIndex _index;
        private int _up;
        private int _down;

        public Cursor(SizeIndex index, long pivot)
        {
            _index = index;
            var start = index.Order.LowerBound(pivot);
            _up = index.Next(start);
            _down = index.Previous(start - 1);
        }

        public readonly bool HasUp => _up >= 0;

        public readonly bool HasDown => _down >= 0;

        public readonly (long Size, int Partition) PeekUp() => (_index.Order.SizeAt[_up], _index.Order.PartitionAt[_up]);

        public readonly (long Size, int Partition) PeekDown() => (_index.Order.SizeAt[_down], _index.Order.PartitionAt[_down]);

        public void PopUp() => _up = _index.Next(_up + 1);

        public void PopDown() => _down = _index.Previous(_down - 1);
    }
}
