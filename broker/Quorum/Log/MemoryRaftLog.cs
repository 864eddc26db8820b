namespace KafkaOperator.Quorum.Log;

/// <summary>
/// An in-memory <see cref="IRaftLog"/> for tests and simulation. <see cref="Crash"/> models a power loss: every
/// entry past <see cref="FlushedOffset"/> is gone, which is exactly what the quorum must survive. A prefix
/// truncation is durable at once, as the file log's is.
/// Exception policy: contract violations (non-contiguous appends, epochs going backwards) throw
/// <see cref="ArgumentException"/>; nothing else can fail.
/// </summary>
public sealed class MemoryRaftLog : IRaftLog
{
    private readonly List<RaftEntry> _entries = [];
    private readonly EpochCache _epochs = new();
    private int _startEpoch;

    public long StartOffset { get; private set; }

    public long EndOffset => StartOffset + _entries.Count;

    public long FlushedOffset { get; private set; }

    public int LastEpoch => _epochs.LastEpoch;

    /// <summary>How many times <see cref="Flush"/> made new entries durable (tests check group commit with it).</summary>
    public int FlushCount { get; private set; }

    public int EpochAt(long offset) =>
        offset >= StartOffset && offset < EndOffset ? _entries[(int)(offset - StartOffset)].Epoch
        : offset == StartOffset - 1 ? _startEpoch
        : -1;

    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch) => _epochs.EndOffsetForEpoch(epoch, EndOffset);

    public IReadOnlyList<RaftEntry> Read(long offset, int maxBytes)
    {
        var result = new List<RaftEntry>();
        var bytes = 0;
        for (var i = offset; i >= StartOffset && i < EndOffset; i++)
        {
            var entry = _entries[(int)(i - StartOffset)];
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
            if (entry.Offset != EndOffset)
                throw new ArgumentException($"entry offset {entry.Offset} does not continue the log at {EndOffset}");
            _epochs.OnAppend(entry.Offset, entry.Epoch);
            _entries.Add(entry);
        }
    }

    public void TruncateTo(long offset)
    {
        if (offset >= EndOffset)
            return;
        if (offset < StartOffset)
            throw new ArgumentException($"cannot truncate to {offset}, below the log start {StartOffset}");
        _entries.RemoveRange((int)(offset - StartOffset), (int)(EndOffset - offset));
        _epochs.OnTruncate(offset);
        FlushedOffset = Math.Min(FlushedOffset, offset);
    }

    public void TruncatePrefix(long offset, int epoch)
    {
        if (offset <= StartOffset)
            return;
        if (offset > EndOffset || EpochAt(offset - 1) != epoch)
            _entries.Clear();
        else
            _entries.RemoveRange(0, (int)(offset - StartOffset));
        StartOffset = offset;
        _startEpoch = epoch;
        _epochs.OnTruncatePrefix(offset, epoch);
        if (_entries.Count == 0)
            _epochs.OnTruncate(offset);
        FlushedOffset = Math.Max(FlushedOffset, offset);
        FlushedOffset = Math.Min(FlushedOffset, EndOffset);
    }

    public void Clear()
    {
        _entries.Clear();
        _epochs.Clear();
        StartOffset = 0;
        _startEpoch = 0;
        FlushedOffset = 0;
    }

    public void Flush()
    {
        if (FlushedOffset == EndOffset)
            return;
        FlushedOffset = EndOffset;
        FlushCount++;
    }

    /// <summary>Loses every entry that was not flushed, as a crash would.</summary>
    public void Crash() => TruncateTo(FlushedOffset);
}
