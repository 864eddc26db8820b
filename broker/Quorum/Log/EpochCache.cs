namespace KafkaOperator.Quorum.Log;

/// <summary>
/// Where each leader epoch starts in a log, as Kafka's leader-epoch checkpoint keeps it, so the divergence check
/// on every fetch (EndOffsetForEpoch) is a short scan from the end instead of a walk over the entries.
/// </summary>
internal sealed class EpochCache
{
    private readonly List<(int Epoch, long StartOffset)> _epochs = [];

    public int LastEpoch => _epochs.Count == 0 ? 0 : _epochs[^1].Epoch;

    /// <summary>Records an appended entry; epochs only grow along a log.</summary>
    public void OnAppend(long offset, int epoch)
    {
        if (_epochs.Count == 0 || epoch > _epochs[^1].Epoch)
            _epochs.Add((epoch, offset));
        else if (epoch < _epochs[^1].Epoch)
            throw new ArgumentException($"entry {offset} has epoch {epoch}, below the log's last epoch {_epochs[^1].Epoch}");
    }

    public void OnTruncate(long offset)
    {
        while (_epochs.Count > 0 && _epochs[^1].StartOffset >= offset)
            _epochs.RemoveAt(_epochs.Count - 1);
    }

    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch, long logEndOffset)
    {
        for (var i = _epochs.Count - 1; i >= 0; i--)
        {
            if (_epochs[i].Epoch <= epoch)
                return (i + 1 < _epochs.Count ? _epochs[i + 1].StartOffset : logEndOffset, _epochs[i].Epoch);
        }
        return (0, 0);
    }
}
