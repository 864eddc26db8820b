namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// Asking the voters for their votes in <see cref="EpochState.Epoch"/> (Kafka's NomineeState): counts grants, and
/// asks again any voter whose answer was lost (after a short backoff) until the election timeout. Its own vote is
/// granted from the start.
/// </summary>
internal abstract class NomineeState : EpochState
{
    private readonly Dictionary<int, Ballot> _ballots = [];
    private readonly int _majority;

    protected NomineeState(int epoch, int localId, IEnumerable<int> voters, int majority, long electionDeadlineMs)
        : base(epoch)
    {
        _majority = majority;
        ElectionDeadlineMs = electionDeadlineMs;
        foreach (var id in voters)
            _ballots[id] = new Ballot { Granted = id == localId, Answered = id == localId };
    }

    public long ElectionDeadlineMs { get; }

    /// <summary>True for a pre-vote (KIP-996): the voters record nothing and the epoch stays.</summary>
    public abstract bool PreVote { get; }

    public bool Won => _ballots.Values.Count(b => b.Granted) >= _majority;

    /// <summary>The voters that granted their vote, this node included (LeaderChangeMessage's GrantingVoters).</summary>
    public IReadOnlyList<int> Granted => [.. _ballots.Where(kv => kv.Value.Granted).Select(kv => kv.Key).Order()];

    /// <summary>Voters to (re)ask now: unanswered, nothing in flight, backoff over.</summary>
    public IEnumerable<int> ToAsk(long nowMs) =>
        _ballots.Where(kv => !kv.Value.Answered && !kv.Value.InFlight && kv.Value.RetryAtMs <= nowMs).Select(kv => kv.Key).ToList();

    /// <summary>The earliest retry still pending, or long.MaxValue.</summary>
    public long NextRetryMs =>
        _ballots.Values.Where(b => !b.Answered && !b.InFlight).Select(b => b.RetryAtMs).DefaultIfEmpty(long.MaxValue).Min();

    public void Asked(int id) => _ballots[id].InFlight = true;

    public void Lost(int id, long retryAtMs)
    {
        _ballots[id].InFlight = false;
        _ballots[id].RetryAtMs = retryAtMs;
    }

    public void Answered(int id, bool granted)
    {
        var ballot = _ballots[id];
        ballot.InFlight = false;
        ballot.Answered = true;
        ballot.Granted = granted;
    }

    private sealed class Ballot
    {
        public bool Granted { get; set; }

        public bool Answered { get; set; }

        public bool InFlight { get; set; }

        public long RetryAtMs { get; set; }
    }
}
