using KafkaOperator.Quorum.Roles;

namespace KafkaOperator.Quorum;

// Responses to this core's own requests. Any response from a higher epoch moves this node there first; the rest
// only apply while the role that sent the request is still current (roles are compared by reference).
internal sealed partial class RaftClient
{
    private void OnResponse(int source, RaftRequest request, RaftResponse? response, EpochState sentIn, long nowMs)
    {
        if (response is not null && response.ErrorCode == RaftErrors.InconsistentClusterId)
            response = null;
        if (response is FetchResponse { LeaderId: >= 0, LeaderEndpoint: { Length: > 0 } endpoint } named && named.LeaderId != LocalId)
            _transport.Learn(named.LeaderId, endpoint);
        if (response is not null && EpochOf(response) is var (leaderId, epoch) && epoch > _state.Epoch)
        {
            if (CanStand || leaderId >= 0)
                OnHigherEpoch(epoch, leaderId, nowMs, source);
            else
            {
                // An observer hears of an election: it moves to that epoch and asks again shortly for its winner.
                _store.Write(new QuorumState(epoch, -1, -1));
                SetState(new UnattachedState(epoch, -1, nowMs + DiscoveryBackoffMs));
            }
            FlushAndCommit(nowMs);
            return;
        }
        if (!ReferenceEquals(sentIn, _state))
            return;
        switch (_state)
        {
            case NomineeState nominee when request is VoteRequest:
                OnVoteResponse(nominee, source, response as VoteResponse, nowMs);
                break;
            case LeaderState leader when request is BeginQuorumEpochRequest:
                var ok = response is { ErrorCode: RaftErrors.None };
                leader.BeginAnswered(source, ok, ok ? 0 : nowMs + RetryBackoffMs);
                break;
            case FollowerState follower when request is FetchRequest fetch && ReferenceEquals(follower.InFlight, fetch):
                follower.InFlight = null;
                OnFetchResponse(follower, response as FetchResponse, nowMs);
                break;
            case FollowerState follower when request is FetchSnapshotRequest chunk && _fetching is { } fetching && ReferenceEquals(fetching.Follower, follower) && ReferenceEquals(fetching.Request, chunk):
                OnFetchSnapshotResponse(follower, response as FetchSnapshotResponse, nowMs);
                break;
            case UnattachedState unattached when request is FetchRequest fetch && ReferenceEquals(unattached.DiscoveryFetch, fetch):
                // An observer looking for the leader: follow whoever the voter names for the current epoch.
                unattached.DiscoveryFetch = null;
                if (response is FetchResponse { LeaderId: >= 0 } found && found.LeaderId != LocalId && found.LeaderEpoch == _state.Epoch)
                    BecomeFollower(found.LeaderEpoch, found.LeaderId, nowMs, heard: source == found.LeaderId);
                else
                    unattached.ElectionDeadlineMs = Math.Min(unattached.ElectionDeadlineMs, nowMs + DiscoveryBackoffMs);
                break;
        }
        FlushAndCommit(nowMs);
    }

    private static (int LeaderId, int Epoch)? EpochOf(RaftResponse response) => response switch
    {
        VoteResponse r => (r.LeaderId, r.LeaderEpoch),
        BeginQuorumEpochResponse r => (r.LeaderId, r.LeaderEpoch),
        EndQuorumEpochResponse r => (r.LeaderId, r.LeaderEpoch),
        FetchResponse r => (r.LeaderId, r.LeaderEpoch),
        FetchSnapshotResponse r => (r.LeaderId, r.LeaderEpoch),
        _ => null,
    };

    private void OnVoteResponse(NomineeState nominee, int source, VoteResponse? response, long nowMs)
    {
        // A voter without pre-vote (Vote below v2) cannot be asked one: as Kafka's KafkaRaftClient does, the
        // prospective stands as a candidate at once.
        if (nominee.PreVote && response?.ErrorCode == RaftErrors.UnsupportedVersion)
        {
            BecomeCandidate(nowMs);
            return;
        }
        if (response is null || (response.ErrorCode != RaftErrors.None && response.ErrorCode != RaftErrors.FencedLeaderEpoch))
        {
            nominee.Lost(source, nowMs + RetryBackoffMs);
            return;
        }
        // Refused by a voter that follows this epoch's leader: follow it too (a node that was cut off from a live
        // leader rejoins this way, without disturbing the epoch). A grant may name a leader too, one its voter has
        // not heard from for a fetch timeout: that one is not followed, or a dead leader's followers would keep
        // sending each other back to it.
        if (!response.VoteGranted && response.LeaderId >= 0 && response.LeaderId != LocalId && response.LeaderEpoch == nominee.Epoch)
        {
            BecomeFollower(nominee.Epoch, response.LeaderId, nowMs, heard: source == response.LeaderId);
            return;
        }
        nominee.Answered(source, response.VoteGranted && response.LeaderEpoch == nominee.Epoch);
        if (!nominee.Won)
            return;
        if (nominee.PreVote)
            BecomeCandidate(nowMs);
        else
            BecomeLeader(nowMs);
    }

    private void OnFetchResponse(FollowerState follower, FetchResponse? response, long nowMs)
    {
        if (response is null || response.ErrorCode != RaftErrors.None)
        {
            follower.NextFetchAtMs = nowMs + RetryBackoffMs;
            return;
        }
        follower.FetchTimeoutAtMs = nowMs + _config.FetchTimeoutMs;
        follower.HeardFromLeaderMs = nowMs;
        if (response.Snapshot is { } snapshot)
        {
            StartSnapshotFetch(follower, snapshot, nowMs);
            return;
        }
        if (response.DivergingEpoch >= 0)
        {
            var (end, _) = _log.EndOffsetForEpoch(response.DivergingEpoch);
            var truncateTo = Math.Min(end, response.DivergingEndOffset);
            // Committed entries are on the leader as they are here, so the divergence point is never below them.
            if (truncateTo < HighWatermark)
                throw new InvalidOperationException($"node {LocalId}: the leader asks to truncate to {truncateTo}, below the high watermark {HighWatermark}");
            _log.TruncateTo(truncateTo);
            OnTruncated(nowMs);
            follower.NextFetchAtMs = nowMs;
            SendFetch(follower, follower.LeaderId, nowMs);
            return;
        }
        if (response.Entries.Count > 0 && response.Entries[0].Offset == _log.EndOffset)
        {
            Append(response.Entries, nowMs);
            // Durable before the next fetch reports this end to the leader as held.
            _log.Flush();
            TraceFlushed();
        }
        // The whole local log was just validated against the leader's, so its flushed end bounds what is committed here.
        if (response.HighWatermark >= 0)
            AdvanceHighWatermark(Math.Min(response.HighWatermark, _log.FlushedOffset), nowMs, deliver: false);
        // The leader holds a fetch until there is something new, so the next one goes out at once (long poll),
        // before this node applies what committed.
        SendFetch(follower, follower.LeaderId, nowMs);
        DeliverCommitted();
    }
}
