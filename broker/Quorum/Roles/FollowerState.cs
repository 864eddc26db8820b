namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// Follows <see cref="LeaderId"/> by pulling: one fetch in flight at a time, the next sent as soon as the previous
/// answer arrives (the leader holds a fetch until it has something new); a leader silent for the fetch timeout
/// (<see cref="FetchTimeoutAtMs"/>) means an election.
/// </summary>
internal sealed class FollowerState(int epoch, int leaderId, long fetchTimeoutAtMs, long heardFromLeaderMs) : EpochState(epoch)
{
    public override int LeaderId { get; } = leaderId;

    public long FetchTimeoutAtMs { get; set; } = fetchTimeoutAtMs;

    /// <summary>When the leader last answered or announced itself, -1 when never in this role.</summary>
    public long HeardFromLeaderMs { get; set; } = heardFromLeaderMs;

    /// <summary>The leader resigned (EndQuorumEpoch): it is not live any more, and this node stands without a pre-vote.</summary>
    public bool LeaderResigned { get; set; }

    /// <summary>When the next fetch may go out (0: now); only an error backs it off.</summary>
    public long NextFetchAtMs { get; set; }

    /// <summary>The fetch awaiting its response; only that exact request's response is applied.</summary>
    public FetchRequest? InFlight { get; set; }

    public long InFlightSinceMs { get; set; }

    public override string Name => "Follower";

    /// <summary>Whether a pre-vote must be refused: the leader has been heard from within the fetch timeout.</summary>
    public bool HasLiveLeader(long nowMs, long fetchTimeoutMs) =>
        !LeaderResigned && HeardFromLeaderMs >= 0 && nowMs - HeardFromLeaderMs < fetchTimeoutMs;
}
