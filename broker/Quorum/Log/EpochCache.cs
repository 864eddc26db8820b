namespace KafkaOperator.Quorum.Log;

/// <summary>
/// Where each leader epoch starts in a log, as Kafka's leader-epoch checkpoint keeps it, so the divergence check
/// on every fetch (EndOffsetForEpoch) is a short scan from the end instead of a walk over the entries. A log that
/// starts at a snapshot knows the snapshot's epoch as the epoch before its first entry (the base).
/// </summary>
internal sealed class EpochCache
{
    private readonly List<(int Epoch, long StartOffset)> _epochs = [];
    private int _baseEpoch;
    private long _baseOffset;

    public int LastEpoch => _epochs.Count == 0 ? _baseEpoch : _epochs[^1].Epoch;

    /// <summary>Records an appended entry; epochs only grow along a log.</summary>
    public void OnAppend(long offset, int epoch)
    {
        var last = LastEpoch;
        if (epoch < last)
            throw new ArgumentException($"entry {offset} has epoch {epoch}, below the log's last epoch {last}");
        if (epoch > last || (_epochs.Count == 0 && _baseOffset == 0))
            _epochs.Add((epoch, offset));
    }

    public void OnTruncate(long offset)
    {
        while (_epochs.Count > 0 && _epochs[^1].StartOffset >= offset)
            _epochs.RemoveAt(_epochs.Count - 1);
    }

    /// <summary>The log now starts at <paramref name="offset"/>, the entry before it in <paramref name="epoch"/>.</summary>
    public void OnTruncatePrefix(long offset, int epoch)
    {
        _epochs.RemoveAll(e => e.StartOffset < offset);
        _baseEpoch = epoch;
        _baseOffset = offset;
    }

    public void Clear()
    {
        _epochs.Clear();
        _baseEpoch = 0;
        _baseOffset = 0;
    }

    /// <summary>The largest epoch &lt;= <paramref name="epoch"/> and where it ends; (-1, -1) below what the log still knows.</summary>
    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch, long logEndOffset)
    {
        for (var i = _epochs.Count - 1; i >= 0; i--)
        {
            if (_epochs[i].Epoch <= epoch)
                return (i + 1 < _epochs.Count ? _epochs[i + 1].StartOffset : logEndOffset, _epochs[i].Epoch);
        }
        if (_baseOffset == 0)
            return (0, 0);
        return epoch >= _baseEpoch ? (_epochs.Count > 0 ? _epochs[0].StartOffset : logEndOffset, _baseEpoch) : (-1, -1);
    }
}
