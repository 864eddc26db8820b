using KafkaOperator.Quorum.Roles;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum;

// Voter changes (KIP-853), one voter at a time as in Raft's single-server changes: the leader appends the new voter
// set as a control entry and every member uses it from the moment it is in its log, committed or not; the leader
// counts the commit over the new set. A change is taken only once the leader has committed an entry of its own
// epoch and the previous change is committed, so two sets that differ by more than one voter are never both in
// use; a voter is added only once it has caught up as an observer, so it does not stall the commit.
internal sealed partial class RaftClient
{
    /// <summary>The latest voter set's ids (the one in force here).</summary>
    public IReadOnlyList<int> VoterIds => _voters.Latest.Ids;

    /// <summary>The latest voter set, with the voters' addresses.</summary>
    public VotersRecord VoterSet => _voters.Latest;

    /// <summary>0 while the voter set is the config's (controller.quorum.voters), 1 once it lives in the log.</summary>
    public short KRaftVersion => _voters.KRaftVersion;

    /// <summary>The offset of the latest voters entry (-1: none); the change is committed once the high watermark passes it.</summary>
    public long VoterSetOffset => _voters.LatestOffset;

    /// <summary>
    /// Whether this node may stand for election: it is a voter, or the latest change removed it and may not be
    /// committed yet (Raft's rule for single-server changes: until the new set commits, a removed node may be the
    /// only one that holds it, and must be able to lead to commit it). It counts votes over the latest set.
    /// </summary>
    internal bool CanStand => IsVoter || (_voters.LatestOffset >= HighWatermark && _voters.Previous.Contains(LocalId));

    private int Majority => VoterIds.Count / 2 + 1;

    /// <summary>Whom an observer asks for the leader: the bootstrap servers, else the latest voters but itself.</summary>
    private IReadOnlyList<int> DiscoveryIds
    {
        get
        {
            if (_config.Bootstrap is { Count: > 0 } bootstrap)
                return bootstrap;
            var voters = VoterIds.Where(id => id != LocalId).ToList();
            return voters.Count > 0 ? voters : _config.DiscoveryIds;
        }
    }

    /// <summary>
    /// Adds <paramref name="voter"/> on the leader (AddRaftVoter): the error (Kafka's) and, with none, the offset of
    /// the new voter set's entry, which the caller waits to see committed.
    /// </summary>
    public VoterChange AddVoter(Voter voter, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(voter);
        if (CheckChangeable() is { } refused)
            return refused;
        var leader = (LeaderState)_state;
        if (_voters.Latest.Contains(voter.Id))
            return new VoterChange(RaftErrors.DuplicateVoter, -1, $"The voter id {voter.Id} is already part of the set of voters [{string.Join(", ", VoterIds)}].");
        // Caught up: within the fetch timeout it fetched from at least the high watermark of the time.
        if (!leader.IsCaughtUpObserver(voter.Id, nowMs - _config.FetchTimeoutMs))
            return new VoterChange(RaftErrors.RequestTimedOut, -1, $"Aborted add voter operation for {voter.Id} since it is lagging behind (or not fetching from the leader)");
        return AppendVoters(new VotersRecord(1, [.. _voters.Latest.Voters, voter]), nowMs);
    }

    /// <summary>Removes voter <paramref name="id"/> on the leader (RemoveRaftVoter), the leader itself included.</summary>
    public VoterChange RemoveVoter(int id, long nowMs)
    {
        if (CheckChangeable() is { } refused)
            return refused;
        if (!_voters.Latest.Contains(id) || VoterIds.Count == 1)
            return new VoterChange(RaftErrors.VoterNotFound, -1, $"Cannot remove voter {id} from the set of voters [{string.Join(", ", VoterIds)}]");
        return AppendVoters(new VotersRecord(1, [.. _voters.Latest.Voters.Where(v => v.Id != id)]), nowMs);
    }

    /// <summary>Changes a voter's address (UpdateRaftVoter); the voter set's ids stay.</summary>
    public VoterChange UpdateVoter(Voter voter, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(voter);
        if (CheckChangeable() is { } refused)
            return refused;
        if (!_voters.Latest.Contains(voter.Id))
            return new VoterChange(RaftErrors.VoterNotFound, -1, $"Voter {voter.Id} is not part of the set of voters [{string.Join(", ", VoterIds)}]");
        return AppendVoters(new VotersRecord(1, [.. _voters.Latest.Voters.Select(v => v.Id == voter.Id ? voter : v)]), nowMs);
    }

    /// <summary>Kafka's checks before any voter change, in its order.</summary>
    private VoterChange? CheckChangeable()
    {
        // A leader that removed itself takes no further change: it hands over once its removal commits.
        if (_state is not LeaderState leader || !IsVoter)
            return new VoterChange(RaftErrors.NotLeaderOrFollower, -1, "this node is not the quorum leader");
        // Fenced the previous leaders' changes: an entry of this epoch is committed.
        if (HighWatermark <= leader.EpochStartOffset)
            return new VoterChange(RaftErrors.RequestTimedOut, -1, "Request timed out waiting for leader to establish HWM and fence previous voter changes");
        if (_voters.KRaftVersion < 1)
            return new VoterChange(RaftErrors.UnsupportedVersion, -1, "Cluster doesn't support changing voters because the kraft.version feature is 0");
        if (_voters.LatestOffset >= HighWatermark)
            return new VoterChange(RaftErrors.RequestTimedOut, -1, $"Request timed out waiting for voters to commit the latest voter change at {_voters.LatestOffset} with HWM {HighWatermark}");
        return null;
    }

    private VoterChange AppendVoters(VotersRecord voters, long nowMs)
    {
        var offset = _log.EndOffset;
        Append([new RaftEntry(offset, _state.Epoch, voters.Encode())], nowMs);
        return new VoterChange(RaftErrors.None, offset, null);
    }

    /// <summary>Every append to the log goes through here, so the voter set follows the log.</summary>
    private void Append(IReadOnlyList<RaftEntry> entries, long nowMs)
    {
        _log.Append(entries);
        TraceAppended(entries, _state is Roles.LeaderState ? "leader" : "follower");
        var before = _voters.LatestOffset;
        _voters.OnAppend(entries);
        if (_voters.LatestOffset != before)
            OnVotersChanged(nowMs);
    }

    /// <summary>The log lost its tail (divergence from the leader): a voter set appended there goes with it.</summary>
    private void OnTruncated(long nowMs)
    {
        var before = _voters.LatestOffset;
        _voters.TruncateTo(_log.EndOffset);
        if (_voters.LatestOffset != before)
            OnVotersChanged(nowMs);
    }

    /// <summary>Reads the voter sets the log holds (at start, before the snapshot that may replace its prefix).</summary>
    private void LoadVoterSets()
    {
        var offset = _log.StartOffset;
        while (offset < _log.EndOffset)
        {
            var batch = _log.Read(offset, _config.MaxFetchBytes);
            if (batch.Count == 0)
                break;
            _voters.OnAppend(batch);
            offset = batch[^1].Offset + 1;
        }
        LearnEndpoints();
    }

    private void OnVotersChanged(long nowMs)
    {
        LearnEndpoints();
        switch (_state)
        {
            case LeaderState leader:
                leader.SetVoters(VoterIds);
                break;
            // A node the latest set left out stops standing: it follows as an observer.
            case NomineeState when !CanStand:
                SetState(new UnattachedState(_state.Epoch, LocalId, nowMs));
                break;
        }
    }

    private void LearnEndpoints()
    {
        foreach (var voter in _voters.Latest.Voters)
        {
            if (voter.Id != LocalId && voter.Endpoint.Length > 0)
                _transport.Learn(voter.Id, voter.Endpoint);
        }
    }
}

/// <summary>The outcome of a voter change on the leader: Kafka's error code, the entry's offset with none, and a message.</summary>
public sealed record VoterChange(short ErrorCode, long Offset, string? Message);
