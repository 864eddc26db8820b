namespace KafkaOperator.Quorum.Log;

/// <summary>
/// An in-memory <see cref="IRaftLog"/> for tests and simulation. <see cref="Crash"/> models a power loss: every
/// entry past <see cref="FlushedOffset"/> is gone, which is exactly what the quorum must survive.
/// Exception policy: contract violations (non-contiguous appends, epochs going backwards) throw
/// <see cref="ArgumentException"/>; nothing else can fail.
/// </summary>
public sealed class MemoryRaftLog : IRaftLog
{
    private readonly List<RaftEntry> _entries = [];
    private readonly EpochCache _epochs = new();

    public long EndOffset => _entries.Count;

    public long FlushedOffset { get; private set; }

    public int LastEpoch => _epochs.LastEpoch;

    /// <summary>How many times <see cref="Flush"/> made new entries durable (tests check group commit with it).</summary>
    public int FlushCount { get; private set; }

    public int EpochAt(long offset) => offset >= 0 && offset < _entries.Count ? _entries[(int)offset].Epoch : -1;

    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch) => _epochs.EndOffsetForEpoch(epoch, EndOffset);

    public IReadOnlyList<RaftEntry> Read(long offset, int maxBytes)
    {
        var result = new List<RaftEntry>();
        var bytes = 0;
        for (var i = offset; i >= 0 && i < _entries.Count; i++)
        {
            var entry = _entries[(int)i];
            if (result.Count > 0 && bytes + entry.Payload.Length > maxBytes)
                break;
            bytes += entry.Payload.Length;
            result.Add(entry);
        }
        return result;
    }

    public void Append(IReadOnlyList<RaftEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            if (entry.Offset != _entries.Count)
                throw new ArgumentException($"entry offset {entry.Offset} does not continue the log at {_entries.Count}");
            _epochs.OnAppend(entry.Offset, entry.Epoch);
            _entries.Add(entry);
        }
    }

    public void TruncateTo(long offset)
    {
        if (offset >= _entries.Count)
            return;
        _entries.RemoveRange((int)offset, _entries.Count - (int)offset);
        _epochs.OnTruncate(offset);
        FlushedOffset = Math.Min(FlushedOffset, offset);
    }

    public void Flush()
    {
        if (FlushedOffset == _entries.Count)
            return;
        FlushedOffset = _entries.Count;
        FlushCount++;
    }

    /// <summary>Loses every entry that was not flushed, as a crash would.</summary>
    public void Crash() => TruncateTo(FlushedOffset);
}
