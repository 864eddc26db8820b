namespace KafkaOperator.Quorum.Voters;

/// <summary>
/// The voter sets a node's log holds, by offset (Kafka's VoterSetHistory): the static set from the config
/// (controller.quorum.voters: kraft.version 0) under all of them, the one a snapshot carries at its end, then every
/// voters entry of the log. The node always uses the latest, appended or not, so it follows the log: an append adds,
/// a truncation removes, and a snapshot that replaces the log's prefix replaces the sets below it.
/// </summary>
internal sealed class VoterSetHistory(VotersRecord bootstrap)
{
    private readonly List<(long Offset, VotersRecord Voters)> _entries = [];

    /// <summary>The set in force: the latest in the log, else the static one.</summary>
    public VotersRecord Latest => _entries.Count > 0 ? _entries[^1].Voters : bootstrap;

    /// <summary>The set in force before the latest one (the static one when the log holds a single set).</summary>
    public VotersRecord Previous => _entries.Count > 1 ? _entries[^2].Voters : bootstrap;

    /// <summary>The offset of the latest voters entry, -1 when the set is still the static one.</summary>
    public long LatestOffset => _entries.Count > 0 ? _entries[^1].Offset : -1;

    /// <summary>0 while the voter set is only the config's, 1 once it lives in the log (KIP-853).</summary>
    public short KRaftVersion => _entries.Count > 0 ? _entries[^1].Voters.KRaftVersion : (short)0;

    /// <summary>The set in force just before <paramref name="offset"/> (what a snapshot ending there must carry); null for the static one.</summary>
    public VotersRecord? Before(long offset)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Offset < offset)
                return _entries[i].Voters;
        }
        return null;
    }

    /// <summary>Adds the voters entries among <paramref name="entries"/> (appended to the log, in order).</summary>
    public void OnAppend(IReadOnlyList<RaftEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (VotersRecord.TryDecode(entry.Payload) is { } voters)
                _entries.Add((entry.Offset, voters));
        }
    }

    /// <summary>The log lost every entry at or above <paramref name="offset"/>.</summary>
    public void TruncateTo(long offset) => _entries.RemoveAll(e => e.Offset >= offset);

    /// <summary>
    /// A snapshot ending at <paramref name="offset"/> now holds everything below it: the sets below go, and the
    /// snapshot's own set (when it carries one; otherwise the latest below it) stands for them.
    /// </summary>
    public void ReplacePrefix(long offset, VotersRecord? fromSnapshot)
    {
        var below = fromSnapshot ?? Before(offset);
        _entries.RemoveAll(e => e.Offset < offset);
        if (below is not null)
            _entries.Insert(0, (offset - 1, below));
    }

    /// <summary>Forgets everything the log held (it was cleared).</summary>
    public void Clear() => _entries.Clear();
}
