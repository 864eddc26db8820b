namespace KafkaOperator.Balancer;

/// <summary>
/// A broker's replicas by growing distance of their size from a pivot, alternating above and below; either side can be
/// stopped once the caller knows nothing further out on it can fit.
/// </summary>
internal struct OutwardCursor
{
    private SizeIndex.Cursor _cursor;
    private readonly long _pivot;
    private bool _upStopped;
    private bool _downStopped;

    public OutwardCursor(SizeIndex index, long pivot)
    {
        _cursor = index.From(pivot);
        _pivot = pivot;
    }

    public bool Next(out long size, out int partition, out bool above)
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
        return true;
    }

    public void Stop(bool above)
    {
        if (above)
            _upStopped = true;
        else
            _downStopped = true;
    }
}
