using KafkaOperator.Quorum.Roles;

namespace KafkaOperator.Quorum;

// Inbound requests, answered with this node's leader and epoch so a stale sender catches up. Every request but a
// leader's fetch that finds nothing new is answered at once; that one is held (RaftClient.LongPoll.cs).
internal sealed partial class RaftClient
{
    /// <summary>Handles <paramref name="request"/>; <paramref name="respond"/> runs once, now or (a held fetch) later on the loop.</summary>
    public void Handle(RaftRequest request, long nowMs, Action<RaftResponse> respond)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(respond);
        if (request.ClusterId != _config.ClusterId)
        {
            respond(RaftResponses.Error(request, RaftErrors.InconsistentClusterId, Leader));
            return;
        }
        switch (request)
        {
            case VoteRequest vote:
                respond(HandleVote(vote, nowMs));
                break;
            case BeginQuorumEpochRequest begin:
                respond(HandleBeginQuorumEpoch(begin, nowMs));
                break;
            case EndQuorumEpochRequest end:
                respond(HandleEndQuorumEpoch(end, nowMs));
                break;
            case FetchRequest fetch:
                HandleFetch(fetch, nowMs, respond);
                break;
            case FetchSnapshotRequest fetchSnapshot:
                respond(HandleFetchSnapshot(fetchSnapshot, nowMs));
                break;
            case ProposeRequest:
                // Proposals wait for their commit, which the driver tracks; the core only turns them away.
                respond(RaftResponses.Error(request, RaftErrors.NotLeaderOrFollower, Leader));
                break;
            default:
                throw new ArgumentException($"unknown request {request.GetType().Name}", nameof(request));
        }
        FlushAndCommit(nowMs);
    }

    /// <summary>Handles a request that is answered at once (anything but a fetch with a max wait); throws if it was held.</summary>
    public RaftResponse Handle(RaftRequest request, long nowMs)
    {
        RaftResponse? answer = null;
        Handle(request, nowMs, response => answer = response);
        return answer ?? throw new InvalidOperationException("the request is held (a fetch with a max wait); use the overload with a callback");
    }

    private VoteResponse HandleVote(VoteRequest request, long nowMs)
    {
        if (request.CandidateEpoch < _state.Epoch)
            return new VoteResponse(RaftErrors.FencedLeaderEpoch, _state.LeaderId, _state.Epoch, false);
        // KIP-853: a node answers votes whether or not its own (possibly stale) voter set has it; the candidate
        // counts only the voters of its set. A candidate outside this node's voter set may be one a voter change added that this log has not caught
        // up with (KIP-853: such a candidate's log is ahead, and it may win); one whose log is not ahead is a
        // stale or removed node, refused without disturbing this epoch (and told the leader, whom it then follows).
        if (!_voters.Latest.Contains(request.CandidateId) && !CandidateIsUpToDate(request))
            return new VoteResponse(RaftErrors.None, _state.LeaderId, _state.Epoch, false);
        // A pre-vote is asked in an epoch the asker already has, so that epoch exists: moving up to it is no bump.
        if (request.CandidateEpoch > _state.Epoch)
            OnHigherEpoch(request.CandidateEpoch, -1, nowMs);
        if (request.PreVote)
            return new VoteResponse(RaftErrors.None, _state.LeaderId, _state.Epoch, CanGrantPreVote(request, nowMs));
        // A prospective node that neither voted nor followed a leader in this epoch may still vote in it.
        if (_state is ProspectiveState prospective && prospective.Epoch == request.CandidateEpoch
            && (prospective.VotedId == request.CandidateId || (prospective.MayVote && prospective.VotedId < 0 && CandidateIsUpToDate(request))))
            SetState(new UnattachedState(prospective.Epoch, prospective.VotedId, nowMs + RandomElectionTimeout()));
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

    /// <summary>
    /// KIP-996: yes only without a live leader (this node leads, or follows one heard from within the fetch timeout,
    /// means no) and for a log at least as up to date as this one. Nothing is recorded either way.
    /// </summary>
    private bool CanGrantPreVote(VoteRequest request, long nowMs) => _state switch
    {
        LeaderState => false,
        FollowerState follower when follower.HasLiveLeader(nowMs, _config.FetchTimeoutMs) => false,
        _ => CandidateIsUpToDate(request),
    };

    private bool CandidateIsUpToDate(VoteRequest request) =>
        request.LastOffsetEpoch > _log.LastEpoch || (request.LastOffsetEpoch == _log.LastEpoch && request.LastOffset >= _log.EndOffset);

    private BeginQuorumEpochResponse HandleBeginQuorumEpoch(BeginQuorumEpochRequest request, long nowMs)
    {
        if (request.LeaderEpoch < _state.Epoch)
            return new BeginQuorumEpochResponse(RaftErrors.FencedLeaderEpoch, _state.LeaderId, _state.Epoch);
        // The leader need not be in this node's voter set: a voter change that made it one may not be here yet.
        if (request.LeaderId == LocalId || request.LeaderId < 0)
            return new BeginQuorumEpochResponse(RaftErrors.InconsistentVoterSet, _state.LeaderId, _state.Epoch);
        if (request.LeaderEpoch > _state.Epoch || _state is not FollowerState follower || follower.LeaderId != request.LeaderId)
            BecomeFollower(request.LeaderEpoch, request.LeaderId, nowMs, heard: true);
        else
            follower.HeardFromLeaderMs = nowMs;
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
        // The leader is gone, so they stand without a pre-vote, and grant pre-votes to others meanwhile.
        var rank = request.PreferredSuccessors is null ? -1 : request.PreferredSuccessors.ToList().IndexOf(LocalId);
        var delay = rank == 0 ? 0 : _random.Next(_config.ElectionTimeoutMs / 2 + 1);
        if (CanStand && _state is FollowerState follower && follower.LeaderId == request.LeaderId)
        {
            follower.LeaderResigned = true;
            follower.FetchTimeoutAtMs = Math.Min(follower.FetchTimeoutAtMs, nowMs + delay);
        }
        else if (CanStand && _state is UnattachedState unattached)
        {
            unattached.StandAtOnce = true;
            unattached.ElectionDeadlineMs = Math.Min(unattached.ElectionDeadlineMs, nowMs + delay);
        }
        return new EndQuorumEpochResponse(RaftErrors.None, _state.LeaderId, _state.Epoch);
    }
}
