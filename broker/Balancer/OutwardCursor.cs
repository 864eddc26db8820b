namespace KafkaOperator.Balancer;

/// <summary>
/// A broker's replicas by growing distance of their size from a pivot, alternating above and below, skipping those
/// that left the broker; either side can be stopped once the caller knows nothing further out on it can fit.
/// </summary>
internal struct OutwardCursor
{
    private SizeIndex.Cursor _cursor;
    private readonly Func<int, bool> _holds;
    private readonly long _pivot;
    private bool _upStopped;
    private bool _downStopped;

    public OutwardCursor(SizeIndex index, long pivot, Func<int, bool> holds)
    {
        _cursor = index.From(pivot);
        _pivot = pivot;
        _holds = holds;
    }

    public bool Next(out long size, out int partition, out bool above)
    {
        while (true)
        {
            var hasUp = !_upStopped && _cursor.HasUp;
            var hasDown = !_downStopped && _cursor.HasDown;
            if (!hasUp && !hasDown)
            {
                (size, partition, above) = (0, -1, false);
                return false;
            }
            above = hasUp && (!hasDown || _cursor.PeekUp().Size - _pivot <= _pivot - _cursor.PeekDown().Size);
            if (above)
            {
                (size, partition) = _cursor.PeekUp();
                _cursor.PopUp();
            }
            else
            {
                (size, partition) = _cursor.PeekDown();
                _cursor.PopDown();
            }
            if (_holds(partition))
                return true;
        }
    }

    public void Stop(bool above)
    {
        if (above)
            _upStopped = true;
        else
            _downStopped = true;
    }
}
