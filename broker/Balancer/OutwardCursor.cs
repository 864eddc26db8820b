namespace KafkaOperator.Balancer;

/// <summary>
/// A broker's replicas by growing distance of their size from a pivot, alternating above and below; either side can
/// be stopped once the caller knows nothing further out on it can fit.
/// </summary>
internal sealed class OutwardCursor : IDisposable
{
    private readonly IEnumerator<(long Size, int Partition)> _up;
    private readonly IEnumerator<(long Size, int Partition)> _down;
    private readonly long _pivot;
    private bool _hasUp;
    private bool _hasDown;

    public OutwardCursor(SortedSet<(long Size, int Partition)> set, long pivot)
    {
        _pivot = pivot;
        _up = set.GetViewBetween((pivot, int.MinValue), (long.MaxValue, int.MaxValue)).GetEnumerator();
        _down = pivot == long.MinValue
            ? Enumerable.Empty<(long, int)>().GetEnumerator()
            : set.GetViewBetween((long.MinValue, int.MinValue), (pivot - 1, int.MaxValue)).Reverse().GetEnumerator();
        _hasUp = _up.MoveNext();
        _hasDown = _down.MoveNext();
    }

    public bool Next(out long size, out int partition, out bool above)
    {
        if (!_hasUp && !_hasDown)
        {
            (size, partition, above) = (0, -1, false);
            return false;
        }
        above = _hasUp && (!_hasDown || _up.Current.Size - _pivot <= _pivot - _down.Current.Size);
        var current = above ? _up : _down;
        (size, partition) = current.Current;
        if (above)
            _hasUp = _up.MoveNext();
        else
            _hasDown = _down.MoveNext();
        return true;
    }

    public void Stop(bool above)
    {
        if (above)
            _hasUp = false;
        else
            _hasDown = false;
    }

    public void Dispose()
    {
        _up.Dispose();
        _down.Dispose();
    }
}
