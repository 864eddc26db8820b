namespace KafkaOperator.Quorum.Roles;

/// <summary>
/// Leading <see cref="EpochState.Epoch"/>: what each other voter is known to hold (its last valid fetch offset),
/// when it last fetched, and whether it has heard of this epoch (BeginQuorumEpoch, repeated until answered or
/// the voter fetches).
/// </summary>
internal sealed class LeaderState : EpochState
{
    private readonly Dictionary<int, Replica> _replicas = [];
    private readonly List<HeldFetch> _held = [];
    private readonly Dictionary<int, Replica> _observers = [];

    public LeaderState(int epoch, int localId, IEnumerable<int> voters, long epochStartOffset, long nowMs)
        : base(epoch)
    {
        LocalId = localId;
        EpochStartOffset = epochStartOffset;
        ElectedAtMs = nowMs;
        SetVoters(voters);
    }

    /// <summary>Whether this leader is in its own latest voter set (a voter change may have removed it).</summary>
    public bool IsVoter { get; private set; }

    /// <summary>
    /// The latest voter set changed (appended, not yet committed): a voter added is tracked from what it showed as
    /// an observer (a caught-up one has fetched in this epoch, so it knows it), a voter removed is an observer now.
    /// </summary>
    public void SetVoters(IEnumerable<int> voters)
    {
        var set = voters.ToHashSet();
        IsVoter = set.Contains(LocalId);
        foreach (var id in _replicas.Keys.Where(id => !set.Contains(id)).ToList())
        {
            _observers[id] = _replicas[id];
            _replicas.Remove(id);
        }
        foreach (var id in set.Where(id => id != LocalId && !_replicas.ContainsKey(id)))
        {
            if (_observers.Remove(id, out var observer))
                observer.KnowsEpoch = true;
            _replicas[id] = observer ?? new Replica();
        }
    }

    /// <summary>An observer that fetched from the high watermark or beyond since <paramref name="sinceMs"/>: caught up enough to become a voter.</summary>
    public bool IsCaughtUpObserver(int id, long sinceMs) =>
        _observers.TryGetValue(id, out var observer) && observer.CaughtUpMs >= sinceMs;

    public int LocalId { get; }

    /// <summary>The offset of this epoch's control entry: nothing commits until an entry at or past it does.</summary>
    public long EpochStartOffset { get; }

    public long ElectedAtMs { get; }

    public override int LeaderId => LocalId;

    public override string Name => "Leader";

    public IEnumerable<int> Replicas => _replicas.Keys;

    public bool IsReplica(int id) => _replicas.ContainsKey(id);

    /// <summary>A valid fetch at <paramref name="fetchOffset"/>: the replica holds, durably, this leader's entries below it.</summary>
    /// <returns>Whether the fetch carried a broker epoch newer than any this replica sent before.</returns>
    public bool OnFetch(int id, long fetchOffset, long brokerEpoch, long nowMs)
    {
        var replica = _replicas[id];
        replica.EndOffset = fetchOffset;
        replica.LastFetchMs = nowMs;
        replica.KnowsEpoch = true;
        return replica.HeardBrokerEpoch(brokerEpoch, nowMs);
    }

    /// <summary>The replica is fetching a snapshot: alive, its log end unchanged.</summary>
    public void OnSnapshotFetch(int id, long nowMs)
    {
        var replica = _replicas[id];
        replica.LastFetchMs = nowMs;
        replica.KnowsEpoch = true;
    }

    /// <summary>An observer's fetch: tracked for DescribeQuorum and broker liveness, never counted for the commit.</summary>
    /// <returns>Whether the fetch carried a broker epoch newer than any this observer sent before.</returns>
    public bool OnObserverFetch(int id, long fetchOffset, long highWatermark, long brokerEpoch, long nowMs)
    {
        if (!_observers.TryGetValue(id, out var observer))
            _observers[id] = observer = new Replica();
        observer.EndOffset = fetchOffset;
        observer.LastFetchMs = nowMs;
        if (fetchOffset >= highWatermark)
            observer.CaughtUpMs = nowMs;
        return observer.HeardBrokerEpoch(brokerEpoch, nowMs);
    }

    /// <summary>Observers that fetched at or after <paramref name="sinceMs"/>, by id; older ones are forgotten.</summary>
    public IReadOnlyList<VoterState> DescribeObservers(long sinceMs)
    {
        foreach (var id in _observers.Where(kv => kv.Value.LastFetchMs < sinceMs).Select(kv => kv.Key).ToList())
            _observers.Remove(id);
        return [.. _observers.OrderBy(kv => kv.Key).Select(kv => kv.Value.Describe(kv.Key))];
    }

    /// <summary>
    /// The majority's durable end, counting the leader's own flushed end: the high watermark it allows, or -1 while
    /// that would not include an entry of this epoch (Raft commits earlier epochs' entries only through its own).
    /// </summary>
    public long MajorityEnd(long localFlushedOffset)
    {
        // Over the latest voter set: a leader that removed itself counts only the others (Raft's single-server
        // changes); an empty set (not allowed to be written) commits nothing.
        var ends = _replicas.Values.Select(r => Math.Max(0, r.EndOffset)).ToList();
        if (IsVoter)
            ends.Add(localFlushedOffset);
        if (ends.Count == 0)
            return -1;
        ends.Sort();
        var end = ends[ends.Count - (ends.Count / 2 + 1)];
        return end > EpochStartOffset ? end : -1;
    }

    /// <summary>How many voters, this one included when it is one, fetched within <paramref name="windowMs"/>.</summary>
    public int RecentlyFetched(long nowMs, long windowMs) =>
        (IsVoter ? 1 : 0) + _replicas.Values.Count(r => r.LastFetchMs >= 0 && nowMs - r.LastFetchMs <= windowMs);

    public IEnumerable<int> BeginToSend(long nowMs) =>
        _replicas.Where(kv => !kv.Value.KnowsEpoch && !kv.Value.BeginInFlight && kv.Value.BeginRetryAtMs <= nowMs).Select(kv => kv.Key).ToList();

    public long NextBeginRetryMs =>
        _replicas.Values.Where(r => !r.KnowsEpoch && !r.BeginInFlight).Select(r => r.BeginRetryAtMs).DefaultIfEmpty(long.MaxValue).Min();

    public void BeginSent(int id) => _replicas[id].BeginInFlight = true;

    public void BeginAnswered(int id, bool ok, long retryAtMs)
    {
        if (!_replicas.TryGetValue(id, out var replica))
            return;
        replica.BeginInFlight = false;
        replica.KnowsEpoch |= ok;
        replica.BeginRetryAtMs = retryAtMs;
    }

    /// <summary>Fetches waiting for something new (long poll), in arrival order.</summary>
    public int HeldCount => _held.Count;

    /// <summary>The earliest held fetch's max wait, or long.MaxValue.</summary>
    public long NextHeldDeadlineMs => _held.Count == 0 ? long.MaxValue : _held.Min(h => h.DeadlineMs);

    /// <summary>
    /// Holds <paramref name="fetch"/>; returns the fetch it replaces, if the same replica had one held (a follower
    /// has one fetch in flight, so an older one was given up on, and is answered at once).
    /// </summary>
    public HeldFetch? Hold(HeldFetch fetch)
    {
        HeldFetch? replaced = null;
        if (fetch.Request.ReplicaId >= 0)
        {
            var index = _held.FindIndex(h => h.Request.ReplicaId == fetch.Request.ReplicaId);
            if (index >= 0)
            {
                replaced = _held[index];
                _held.RemoveAt(index);
            }
        }
        _held.Add(fetch);
        return replaced;
    }

    /// <summary>Removes and returns the held fetches that <paramref name="due"/> says to answer now.</summary>
    public List<HeldFetch> TakeHeld(Func<HeldFetch, bool> due)
    {
        var taken = _held.Where(due).ToList();
        if (taken.Count > 0)
            _held.RemoveAll(taken.Contains);
        return taken;
    }

    public VoterState Describe(int id) => _replicas[id].Describe(id);

    /// <summary>Other voters, most caught up first: the order a resigning leader suggests successors in.</summary>
    public IReadOnlyList<int> BySuccession() => [.. _replicas.OrderByDescending(kv => kv.Value.EndOffset).Select(kv => kv.Key)];

    private sealed class Replica
    {
        public long EndOffset { get; set; } = -1;

        public long LastFetchMs { get; set; } = -1;

        /// <summary>The last fetch from at least the high watermark of its time (-1: none).</summary>
        public long CaughtUpMs { get; set; } = -1;

        public bool KnowsEpoch { get; set; }

        public bool BeginInFlight { get; set; }

        public long BeginRetryAtMs { get; set; }

        public long BrokerEpoch { get; private set; } = -1;

        public long BrokerEpochFetchMs { get; private set; } = -1;

        /// <summary>
        /// Broker epochs only grow (a registration's epoch is its offset in the metadata log), so a lower one is a
        /// restarted process that has not registered again: it says nothing about the registration heard before.
        /// </summary>
        public bool HeardBrokerEpoch(long brokerEpoch, long nowMs)
        {
            if (brokerEpoch < 0 || brokerEpoch < BrokerEpoch)
                return false;
            var raised = brokerEpoch > BrokerEpoch;
            BrokerEpoch = brokerEpoch;
            BrokerEpochFetchMs = nowMs;
            return raised;
        }

        public VoterState Describe(int id) => new(id, EndOffset, LastFetchMs, BrokerEpoch, BrokerEpochFetchMs);
    }
}

/// <summary>A fetch the leader holds until it has new entries or a new high watermark for it, or until <see cref="DeadlineMs"/>.</summary>
internal sealed record HeldFetch(FetchRequest Request, long DeadlineMs, Action<RaftResponse> Respond);
