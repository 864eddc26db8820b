using System.Runtime.InteropServices;

namespace KafkaOperator.Balancer;

/// <summary>
/// One broker's replicas ordered by size, for finding a replica of about a wanted size. A sorted array plus a small
/// sorted buffer of recent arrivals, merged when the buffer fills; replicas that left stay in the array until then
/// and are skipped (the owner says which are still there). SortedSet's range views count their elements on every
/// creation, which made each lookup linear.
/// </summary>
internal sealed class SizeIndex
{
    private const int BufferLimit = 128;
    private const int StaleLimit = 32;
    private (long Size, int Partition)[] _main = [];
    private int _mainCount;
    private int _stale;
    private readonly List<(long Size, int Partition)> _recent = [];

    /// <summary>Adds without keeping order, for loading a broker's replicas; <see cref="Seal"/> sorts them once.</summary>
    public void Load(long size, int partition)
    {
        if (_mainCount == _main.Length)
            Array.Resize(ref _main, Math.Max(16, _main.Length * 2));
        _main[_mainCount++] = (size, partition);
    }

    public void Seal() => Array.Sort(_main, 0, _mainCount);

    public void Add(long size, int partition)
    {
        var entry = (size, partition);
        var at = _recent.BinarySearch(entry);
        _recent.Insert(at < 0 ? ~at : at, entry);
        if (_recent.Count > BufferLimit)
            Compact(_ => true);
    }

    /// <summary>
    /// Notes that an entry went stale; after a few the array is compacted with <paramref name="holds"/>. Kept low:
    /// the planner takes replicas from the same end of a broker's range again and again, and every lookup would step
    /// over the stale ones there (a linear merge every 32 removals costs less).
    /// </summary>
    public void Removed(Func<int, bool> holds)
    {
        if (++_stale > StaleLimit)
            Compact(holds);
    }

    /// <summary>Merges the buffer into the array (both sorted), dropping entries <paramref name="holds"/> rejects and duplicates.</summary>
    private void Compact(Func<int, bool> holds)
    {
        var merged = new (long Size, int Partition)[_mainCount + _recent.Count];
        int i = 0, j = 0, write = 0;
        while (i < _mainCount || j < _recent.Count)
        {
            var fromMain = j >= _recent.Count || (i < _mainCount && _main[i].CompareTo(_recent[j]) <= 0);
            var entry = fromMain ? _main[i++] : _recent[j++];
            // A replica that left and came back has two entries, side by side in the merge.
            if (fromMain && !holds(entry.Partition))
                continue;
            if (write > 0 && merged[write - 1] == entry)
                continue;
            merged[write++] = entry;
        }
        _main = merged;
        _mainCount = write;
        _recent.Clear();
        _stale = 0;
    }

    public IEnumerable<(long Size, int Partition)> Ascending()
    {
        int i = 0, j = 0;
        while (i < _mainCount || j < _recent.Count)
        {
            if (j >= _recent.Count || (i < _mainCount && _main[i].CompareTo(_recent[j]) <= 0))
                yield return _main[i++];
            else
                yield return _recent[j++];
        }
    }

    /// <summary>Entries from the first with size ≥ pivot upwards, and from the last with size &lt; pivot downwards.</summary>
    public Cursor From(long pivot) => new(this, pivot);

    internal struct Cursor
    {
        private readonly SizeIndex _index;
        private int _upMain;
        private int _upRecent;
        private int _downMain;
        private int _downRecent;

        public Cursor(SizeIndex index, long pivot)
        {
            _index = index;
            _upMain = LowerBound(index._main.AsSpan(0, index._mainCount), pivot);
            _upRecent = LowerBound(CollectionsMarshal.AsSpan(index._recent), pivot);
            _downMain = _upMain - 1;
            _downRecent = _upRecent - 1;
        }

        private static int LowerBound(ReadOnlySpan<(long Size, int Partition)> a, long pivot)
        {
            int lo = 0, hi = a.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (a[mid].Size < pivot)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            return lo;
        }

        public readonly bool HasUp => _upMain < _index._mainCount || _upRecent < _index._recent.Count;

        public readonly bool HasDown => _downMain >= 0 || _downRecent >= 0;

        public readonly (long Size, int Partition) PeekUp()
        {
            var main = _upMain < _index._mainCount ? _index._main[_upMain] : (long.MaxValue, int.MaxValue);
            var recent = _upRecent < _index._recent.Count ? _index._recent[_upRecent] : (long.MaxValue, int.MaxValue);
            return main.CompareTo(recent) <= 0 ? main : recent;
        }

        public readonly (long Size, int Partition) PeekDown()
        {
            var main = _downMain >= 0 ? _index._main[_downMain] : (long.MinValue, int.MinValue);
            var recent = _downRecent >= 0 ? _index._recent[_downRecent] : (long.MinValue, int.MinValue);
            return main.CompareTo(recent) >= 0 ? main : recent;
        }

        public void PopUp()
        {
            var main = _upMain < _index._mainCount ? _index._main[_upMain] : (long.MaxValue, int.MaxValue);
            var recent = _upRecent < _index._recent.Count ? _index._recent[_upRecent] : (long.MaxValue, int.MaxValue);
            if (main.CompareTo(recent) <= 0)
                _upMain++;
            else
                _upRecent++;
        }

        public void PopDown()
        {
            var main = _downMain >= 0 ? _index._main[_downMain] : (long.MinValue, int.MinValue);
            var recent = _downRecent >= 0 ? _index._recent[_downRecent] : (long.MinValue, int.MinValue);
            if (main.CompareTo(recent) >= 0)
                _downMain--;
            else
                _downRecent--;
        }
    }
}
