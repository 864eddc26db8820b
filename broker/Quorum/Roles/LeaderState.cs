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
        foreach (var id in voters)
        {
            if (id != localId)
                _replicas[id] = new Replica();
        }
    }

    public int LocalId { get; }

    /// <summary>The offset of this epoch's control entry: nothing commits until an entry at or past it does.</summary>
    public long EpochStartOffset { get; }

    public long ElectedAtMs { get; }

    public override int LeaderId => LocalId;

    public override string Name => "Leader";

    public IEnumerable<int> Replicas => _replicas.Keys;

    public bool IsReplica(int id) => _replicas.ContainsKey(id);

    /// <summary>A valid fetch at <paramref name="fetchOffset"/>: the replica holds, durably, this leader's entries below it.</summary>
    public void OnFetch(int id, long fetchOffset, long nowMs)
    {
        var replica = _replicas[id];
        replica.EndOffset = fetchOffset;
        replica.LastFetchMs = nowMs;
        replica.KnowsEpoch = true;
    }

    /// <summary>An observer's fetch: tracked for DescribeQuorum and broker liveness, never counted for the commit.</summary>
    public void OnObserverFetch(int id, long fetchOffset, long nowMs)
    {
        if (!_observers.TryGetValue(id, out var observer))
            _observers[id] = observer = new Replica();
        observer.EndOffset = fetchOffset;
        observer.LastFetchMs = nowMs;
    }

    /// <summary>Observers that fetched at or after <paramref name="sinceMs"/>, by id; older ones are forgotten.</summary>
    public IReadOnlyList<VoterState> DescribeObservers(long sinceMs)
    {
        foreach (var id in _observers.Where(kv => kv.Value.LastFetchMs < sinceMs).Select(kv => kv.Key).ToList())
            _observers.Remove(id);
        return [.. _observers.OrderBy(kv => kv.Key).Select(kv => new VoterState(kv.Key, kv.Value.EndOffset, kv.Value.LastFetchMs))];
    }

    /// <summary>
    /// The majority's durable end, counting the leader's own flushed end: the high watermark it allows, or -1 while
    /// that would not include an entry of this epoch (Raft commits earlier epochs' entries only through its own).
    /// </summary>
    public long MajorityEnd(long localFlushedOffset, int majority)
    {
        var ends = _replicas.Values.Select(r => Math.Max(0, r.EndOffset)).Append(localFlushedOffset).OrderDescending().ToList();
        var end = ends[majority - 1];
        return end > EpochStartOffset ? end : -1;
    }

    /// <summary>How many voters, this one included, fetched within <paramref name="windowMs"/>.</summary>
    public int RecentlyFetched(long nowMs, long windowMs) =>
        1 + _replicas.Values.Count(r => r.LastFetchMs >= 0 && nowMs - r.LastFetchMs <= windowMs);

    public IEnumerable<int> BeginToSend(long nowMs) =>
        _replicas.Where(kv => !kv.Value.KnowsEpoch && !kv.Value.BeginInFlight && kv.Value.BeginRetryAtMs <= nowMs).Select(kv => kv.Key).ToList();

    public long NextBeginRetryMs =>
        _replicas.Values.Where(r => !r.KnowsEpoch && !r.BeginInFlight).Select(r => r.BeginRetryAtMs).DefaultIfEmpty(long.MaxValue).Min();

    public void BeginSent(int id) => _replicas[id].BeginInFlight = true;

    public void BeginAnswered(int id, bool ok, long retryAtMs)
    {
        var replica = _replicas[id];
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

    public VoterState Describe(int id) => new(id, _replicas[id].EndOffset, _replicas[id].LastFetchMs);

    /// <summary>Other voters, most caught up first: the order a resigning leader suggests successors in.</summary>
    public IReadOnlyList<int> BySuccession() => [.. _replicas.OrderByDescending(kv => kv.Value.EndOffset).Select(kv => kv.Key)];

    private sealed class Replica
    {
        public long EndOffset { get; set; } = -1;

        public long LastFetchMs { get; set; } = -1;

        public bool KnowsEpoch { get; set; }

        public bool BeginInFlight { get; set; }

        public long BeginRetryAtMs { get; set; }
    }
}

/// <summary>A fetch the leader holds until it has new entries or a new high watermark for it, or until <see cref="DeadlineMs"/>.</summary>
internal sealed record HeldFetch(FetchRequest Request, long DeadlineMs, Action<RaftResponse> Respond);
