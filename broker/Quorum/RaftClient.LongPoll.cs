using KafkaOperator.Quorum.Roles;

namespace KafkaOperator.Quorum;

// Fetch on the leader, as KafkaRaftClient's fetch purgatory: a fetch that finds neither entries nor a high
// watermark its follower does not know yet is held until one of those appears or its max wait passes, so a
// follower learns of a commit one round trip after it happens instead of at its next poll. A held fetch has
// already counted as the follower's fetch (its offset, its time) when it arrived.
internal sealed partial class RaftClient
{
    private void HandleFetch(FetchRequest request, long nowMs, Action<RaftResponse> respond)
    {
        if (_state is not LeaderState leader || request.ReplicaEpoch > leader.Epoch)
        {
            respond(NotLeaderFetchError(request));
            return;
        }
        if (request.ReplicaEpoch < leader.Epoch)
        {
            respond(FetchError(RaftErrors.FencedLeaderEpoch));
            return;
        }

        // Below the log start only a snapshot can bring the follower on (KIP-630).
        if (request.FetchOffset < _log.StartOffset)
        {
            if (leader.IsReplica(request.ReplicaId))
                BrokerEpochRaised |= leader.OnFetch(request.ReplicaId, request.FetchOffset, request.BrokerEpoch, nowMs);
            else if (request.ReplicaId >= 0 && request.ReplicaId != LocalId)
                BrokerEpochRaised |= leader.OnObserverFetch(request.ReplicaId, request.FetchOffset, HighWatermark, request.BrokerEpoch, nowMs);
            respond(SnapshotAnswer(leader));
            return;
        }
        // Kafka's divergence check: the follower's last entry (LastFetchedEpoch at FetchOffset-1) must be one this
        // log holds; otherwise say where this log's copy of that epoch ends, and the follower truncates there (or,
        // when that is below the log start, fetches the snapshot).
        if (request.FetchOffset > 0 || request.LastFetchedEpoch > 0)
        {
            var (end, epoch) = _log.EndOffsetForEpoch(request.LastFetchedEpoch);
            if (epoch != request.LastFetchedEpoch || end < request.FetchOffset)
            {
                respond(end < _log.StartOffset ? SnapshotAnswer(leader) : new FetchResponse(RaftErrors.None, LocalId, leader.Epoch, HighWatermark, _log.StartOffset, epoch, end, [], EndpointOf(LocalId)));
                return;
            }
        }
        if (leader.IsReplica(request.ReplicaId))
        {
            BrokerEpochRaised |= leader.OnFetch(request.ReplicaId, request.FetchOffset, request.BrokerEpoch, nowMs);
            // This fetch may be what commits a large entry: its answer (the new high watermark) goes out first.
            AdvanceHighWatermark(leader.MajorityEnd(_log.FlushedOffset), nowMs, deliver: false);
        }
        else if (request.ReplicaId >= 0 && request.ReplicaId != LocalId)
            BrokerEpochRaised |= leader.OnObserverFetch(request.ReplicaId, request.FetchOffset, HighWatermark, request.BrokerEpoch, nowMs);
        var wait = Math.Min(request.MaxWaitMs, _config.FetchWaitMs);
        if (wait <= 0 || HasNews(request))
            respond(FetchAnswer(leader, request));
        else if (leader.Hold(new HeldFetch(request, nowMs + wait, respond)) is { } replaced)
            replaced.Respond(FetchAnswer(leader, replaced.Request));
        DeliverCommitted();
    }

    /// <summary>Entries past the fetch offset, or a high watermark past the one the follower knows.</summary>
    private bool HasNews(FetchRequest request) => request.FetchOffset < _log.EndOffset || HighWatermark > request.HighWatermark;

    /// <summary>Answers the held fetches that have news now or whose max wait is over (with whatever there is then).</summary>
    private void CompleteHeldFetches(long nowMs)
    {
        if (_state is not LeaderState leader || leader.HeldCount == 0)
            return;
        foreach (var held in leader.TakeHeld(h => nowMs >= h.DeadlineMs || HasNews(h.Request)))
            held.Respond(FetchAnswer(leader, held.Request));
    }

    private FetchResponse FetchAnswer(LeaderState leader, FetchRequest request)
    {
        var maxBytes = Math.Min(Math.Max(request.MaxBytes, 1), _config.MaxFetchBytes);
        var entries = request.FetchOffset < _log.EndOffset ? _log.Read(request.FetchOffset, maxBytes) : [];
        return new FetchResponse(RaftErrors.None, LocalId, leader.Epoch, HighWatermark, _log.StartOffset, -1, -1, entries, EndpointOf(LocalId));
    }

    /// <summary>A voter's quorum address as the config names it, for observers that do not know it.</summary>
    private string? EndpointOf(int id) => id >= 0 && _config.Endpoints is { } endpoints ? endpoints.GetValueOrDefault(id) : null;

    /// <summary>A fetch this node cannot serve as leader of the sender's epoch.</summary>
    private FetchResponse NotLeaderFetchError(FetchRequest request)
    {
        // A fetch from a higher epoch means an election this node missed; its BeginQuorumEpoch will come.
        var error = request.ReplicaEpoch < _state.Epoch ? RaftErrors.FencedLeaderEpoch
            : request.ReplicaEpoch > _state.Epoch ? RaftErrors.UnknownLeaderEpoch
            : RaftErrors.NotLeaderOrFollower;
        return FetchError(error);
    }

    private FetchResponse FetchError(short error) => new(error, _state.LeaderId, _state.Epoch, -1, 0, -1, -1, [], EndpointOf(_state.LeaderId));

    private FetchRequest NewFetch(int epoch, int maxWaitMs) =>
        new(_config.ClusterId, LocalId, epoch, _log.EndOffset, _log.LastEpoch, _config.MaxFetchBytes, maxWaitMs, HighWatermark, BrokerEpoch);

    private void SendFetch(FollowerState follower, int leaderId, long nowMs)
    {
        var fetch = NewFetch(follower.Epoch, _config.FetchWaitMs);
        follower.InFlight = fetch;
        follower.InFlightSinceMs = nowMs;
        Send(leaderId, fetch, follower);
    }
}
