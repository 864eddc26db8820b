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

    /// <summary>Notes that an entry went stale; once a quarter of the array is stale it is compacted with <paramref name="holds"/>.</summary>
    public void Removed(Func<int, bool> holds)
    {
        if (++_stale > Math.Max(BufferLimit, _mainCount / 4))
            Compact(holds);
    }

    private void Compact(Func<int, bool> holds)
    {
        var merged = new List<(long Size, int Partition)>(_mainCount + _recent.Count);
        for (var i = 0; i < _mainCount; i++)
        {
            if (holds(_main[i].Partition))
                merged.Add(_main[i]);
        }
        merged.AddRange(_recent);
        merged.Sort();
        // A replica that left and came back has two entries, side by side after the sort.
        var write = 0;
        for (var i = 0; i < merged.Count; i++)
        {
            if (write == 0 || merged[i] != merged[write - 1])
                merged[write++] = merged[i];
        }
        _main = new (long, int)[write];
        merged.CopyTo(0, _main, 0, write);
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
            _upMain = LowerBound(index._main, index._mainCount, pivot);
            _upRecent = LowerBound(index._recent, pivot);
            _downMain = _upMain - 1;
            _downRecent = _upRecent - 1;
        }

        private static int LowerBound((long Size, int Partition)[] a, int count, long pivot)
        {
            int lo = 0, hi = count;
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

        private static int LowerBound(List<(long Size, int Partition)> a, long pivot)
        {
            int lo = 0, hi = a.Count;
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
