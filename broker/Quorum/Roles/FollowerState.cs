namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// Follows <see cref="LeaderId"/> by pulling: one fetch in flight at a time; a leader silent for the fetch
/// timeout (<see cref="FetchTimeoutAtMs"/>) means an election.
/// </summary>
internal sealed class FollowerState(int epoch, int leaderId, long fetchTimeoutAtMs) : EpochState(epoch)
{
    public override int LeaderId { get; } = leaderId;

    public long FetchTimeoutAtMs { get; set; } = fetchTimeoutAtMs;

    /// <summary>When the next fetch may go out (0: now).</summary>
    public long NextFetchAtMs { get; set; }

    /// <summary>The fetch awaiting its response; only that exact request's response is applied.</summary>
    public FetchRequest? InFlight { get; set; }

    public long InFlightSinceMs { get; set; }

    public override string Name => "Follower";
}
