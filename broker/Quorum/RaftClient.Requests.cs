using KafkaOperator.Quorum.Roles;

namespace KafkaOperator.Quorum;

// Inbound requests: every one is answered at once (no long polling), with this node's leader and epoch so a
// stale sender catches up.
internal sealed partial class RaftClient
{
    public RaftResponse Handle(RaftRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ClusterId != _config.ClusterId)
            return RaftResponses.Error(request, RaftErrors.InconsistentClusterId, Leader);
        var response = request switch
        {
            VoteRequest vote => HandleVote(vote, nowMs),
            BeginQuorumEpochRequest begin => HandleBeginQuorumEpoch(begin, nowMs),
            EndQuorumEpochRequest end => HandleEndQuorumEpoch(end, nowMs),
            FetchRequest fetch => HandleFetch(fetch, nowMs),
            // Proposals wait for their commit, which the driver tracks; the core only turns them away.
            ProposeRequest => RaftResponses.Error(request, RaftErrors.NotLeaderOrFollower, Leader),
            _ => throw new ArgumentException($"unknown request {request.GetType().Name}", nameof(request)),
        };
        FlushAndCommit();
        return response;
    }

    private VoteResponse HandleVote(VoteRequest request, long nowMs)
    {
        if (request.CandidateEpoch < _state.Epoch)
            return new VoteResponse(RaftErrors.FencedLeaderEpoch, _state.LeaderId, _state.Epoch, false);
        if (!_config.Voters.Contains(request.CandidateId))
            return new VoteResponse(RaftErrors.InconsistentVoterSet, _state.LeaderId, _state.Epoch, false);
        if (!IsVoter)
            return new VoteResponse(RaftErrors.None, _state.LeaderId, _state.Epoch, false);
        if (request.CandidateEpoch > _state.Epoch)
            OnHigherEpoch(request.CandidateEpoch, -1, nowMs);
        var granted = false;
        if (_state is UnattachedState unattached)
        {
            if (unattached.VotedId == request.CandidateId)
                granted = true;
            else if (unattached.VotedId < 0 && CandidateIsUpToDate(request))
            {
                // Durable before the grant leaves, so a restart cannot vote twice in this epoch.
                _store.Write(new QuorumState(unattached.Epoch, request.CandidateId, -1));
                unattached.VotedId = request.CandidateId;
                granted = true;
            }
            if (granted)
                unattached.ElectionDeadlineMs = nowMs + RandomElectionTimeout();
        }
        return new VoteResponse(RaftErrors.None, _state.LeaderId, _state.Epoch, granted);
    }

    private bool CandidateIsUpToDate(VoteRequest request) =>
        request.LastOffsetEpoch > _log.LastEpoch || (request.LastOffsetEpoch == _log.LastEpoch && request.LastOffset >= _log.EndOffset);

    private BeginQuorumEpochResponse HandleBeginQuorumEpoch(BeginQuorumEpochRequest request, long nowMs)
    {
        if (request.LeaderEpoch < _state.Epoch)
            return new BeginQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, _state.LeaderId, _state.Epoch);
        if (request.LeaderId == LocalId || !_config.Voters.Contains(request.LeaderId))
            return new BeginQuorumEpochResponse(RaftErrors.InconsistentVoterSet, _state.LeaderId, _state.Epoch);
        if (request.LeaderEpoch > _state.Epoch || _state is not FollowerState follower || follower.LeaderId != request.LeaderId)
            BecomeFollower(request.LeaderEpoch, request.LeaderId, nowMs);
        return new BeginQuorumEpochResponse(RaftErrors.None, _state.LeaderId, _state.Epoch);
    }

    private EndQuorumEpochResponse HandleEndQuorumEpoch(EndQuorumEpochRequest request, long nowMs)
    {
        if (request.LeaderEpoch < _state.Epoch)
            return new EndQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, _state.LeaderId, _state.Epoch);
        if (request.LeaderEpoch > _state.Epoch)
            OnHigherEpoch(request.LeaderEpoch, -1, nowMs);
        // The first preferred successor stands at once; the others give it a head start of a random part of the
        // election timeout (a follower cannot vote in this epoch any more, so it must stand, not wait for a vote).
        var rank = request.PreferredSuccessors is null ? -1 : request.PreferredSuccessors.ToList().IndexOf(LocalId);
        var delay = rank == 0 ? 0 : _random.Next(_config.ElectionTimeoutMs / 2 + 1);
        if (IsVoter && _state is FollowerState follower && follower.LeaderId == request.LeaderId)
            follower.FetchTimeoutAtMs = Math.Min(follower.FetchTimeoutAtMs, nowMs + delay);
        else if (IsVoter && _state is UnattachedState unattached)
            unattached.ElectionDeadlineMs = Math.Min(unattached.ElectionDeadlineMs, nowMs + delay);
        return new EndQuorumEpochResponse(RaftErrors.None, _state.LeaderId, _state.Epoch);
    }

    private FetchResponse HandleFetch(FetchRequest request, long nowMs)
    {
        if (_state is not LeaderState leader || request.ReplicaEpoch > leader.Epoch)
        {
            // A fetch from a higher epoch means an election this node missed; its BeginQuorumEpoch will come.
            var error = request.ReplicaEpoch < _state.Epoch ? RaftErrors.FencedLeaderEpoch
                : request.ReplicaEpoch > _state.Epoch ? RaftErrors.UnknownLeaderEpoch
                : RaftErrors.NotLeaderOrFollower;
            return FetchError(error);
        }
        if (request.ReplicaEpoch < leader.Epoch)
            return FetchError(RaftErrors.FencedLeaderEpoch);

        // Kafka's divergence check: the follower's last entry (LastFetchedEpoch at FetchOffset-1) must be one this
        // log holds; otherwise say where this log's copy of that epoch ends, and the follower truncates there.
        if (request.FetchOffset > 0 || request.LastFetchedEpoch > 0)
        {
            var (end, epoch) = _log.EndOffsetForEpoch(request.LastFetchedEpoch);
            if (epoch != request.LastFetchedEpoch || end < request.FetchOffset)
                return new FetchResponse(RaftErrors.None, LocalId, leader.Epoch, HighWatermark, 0, epoch, end, []);
        }
        if (leader.IsReplica(request.ReplicaId))
        {
            leader.OnFetch(request.ReplicaId, request.FetchOffset, nowMs);
            AdvanceHighWatermark(leader.MajorityEnd(_log.FlushedOffset, _majority));
        }
        var maxBytes = Math.Min(Math.Max(request.MaxBytes, 1), _config.MaxFetchBytes);
        var entries = request.FetchOffset < _log.EndOffset ? _log.Read(request.FetchOffset, maxBytes) : [];
        return new FetchResponse(RaftErrors.None, LocalId, leader.Epoch, HighWatermark, 0, -1, -1, entries);
    }

    private FetchResponse FetchError(short error) => new(error, _state.LeaderId, _state.Epoch, -1, 0, -1, -1, []);

    private FetchRequest NewFetch(int epoch) =>
        new(_config.ClusterId, IsVoter ? LocalId : -1, epoch, _log.EndOffset, _log.LastEpoch, _config.MaxFetchBytes);

    private void SendFetch(FollowerState follower, int leaderId, long nowMs)
    {
        var fetch = NewFetch(follower.Epoch);
        follower.InFlight = fetch;
        follower.InFlightSinceMs = nowMs;
        Send(leaderId, fetch, follower);
    }
}
