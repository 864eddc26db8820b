using KafkaOperator.Quorum.Control;
using KafkaOperator.Quorum.Roles;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum;

/// <summary>
/// The Raft core, after Kafka's KafkaRaftClient: deterministic and single-threaded. Time comes in as
/// <c>nowMs</c>, randomness from the injected <see cref="Random"/>, and nothing here blocks or starts a thread,
/// so a simulation can drive many cores from one seed. The driver calls, all on one loop: <see cref="Handle"/>
/// for an inbound request, <see cref="Poll"/> for timers (it also flushes the log: one fsync per loop iteration
/// for everything appended in it), <see cref="Propose"/>. Responses to this core's own requests come back through
/// the <c>post</c> delegate, which must run them on the same loop with the time then. A fetch the leader holds (long
/// poll) is answered later through the callback <see cref="Handle(RaftRequest, long, Action{RaftResponse})"/> was
/// given, from one of these calls; <see cref="Close"/> answers those still held when the driver stops.
/// Exception policy: log and state-store failures propagate; the caller must treat them as fatal for this core
/// (its durable state is then unknown). Malformed or stale messages are answered or ignored, never thrown.
/// </summary>
internal sealed partial class RaftClient
{
    /// <summary>Before asking again after a lost request (Kafka's controller.quorum.retry.backoff.ms).</summary>
    internal const int RetryBackoffMs = 20;

    /// <summary>An observer that has not fetched for this long is forgotten (Kafka's LeaderState: 5 minutes).</summary>
    internal const long ObserverExpiryMs = 300_000;

    /// <summary>How soon an observer asks again for the leader after an answer that named none.</summary>
    internal const int DiscoveryBackoffMs = 100;

    private readonly QuorumConfig _config;
    private readonly IRaftLog _log;
    private readonly IQuorumStateStore _store;
    private readonly IRaftTransport _transport;
    private readonly IRaftListener _listener;
    private readonly Random _random;
    private readonly Action<Action<long>> _post;
    private readonly VoterSetHistory _voters;
    private EpochState _state = new UnattachedState(0, -1, long.MaxValue);
    private LeaderAndEpoch _notified = new(-1, -1);
    private long _delivered;

    public RaftClient(QuorumConfig config, IRaftLog log, IQuorumStateStore store, IRaftTransport transport, IRaftListener listener, Random random, Action<Action<long>> post)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Voters.Distinct().Count() != config.Voters.Count || config.DiscoveryIds.Count == 0)
            throw new ArgumentException("the voters must be a set of ids, non-empty unless an observer has bootstrap servers", nameof(config));
        _config = config;
        _log = log;
        _store = store;
        _transport = transport;
        _listener = listener;
        _random = random;
        _post = post;
        _voters = new VoterSetHistory(new VotersRecord(0, [.. config.Voters.Select(id => new Voter(id, Guid.Empty, config.Endpoints?.GetValueOrDefault(id) ?? ""))]));
    }

    public int LocalId => _config.NodeId;

    /// <summary>This node's broker registration epoch, sent with every fetch (-1 until it registers).</summary>
    public long BrokerEpoch { get; private set; } = -1;

    /// <summary>
    /// Sets the broker epoch fetches carry. A fetch in flight went out without it and may be held by the leader until
    /// something is new, so a fresh one goes at once: the leader answers the one it replaces and hears the new
    /// registration's first heartbeat now, which is what lets the controller unfence it.
    /// </summary>
    public void SetBrokerEpoch(long brokerEpoch, long nowMs)
    {
        BrokerEpoch = brokerEpoch;
        if (_state is FollowerState { InFlight: not null } follower)
            SendFetch(follower, follower.LeaderId, nowMs);
    }

    /// <summary>
    /// Set when, on the leader, a fetch carried a broker epoch newer than its sender's earlier ones (a registration's
    /// first heartbeat); the driver clears it once it has told the controller, which need not wait for its tick.
    /// </summary>
    public bool BrokerEpochRaised { get; set; }

    /// <summary>Whether this node is in the latest voter set of its log (else it is an observer).</summary>
    public bool IsVoter => _voters.Latest.Contains(LocalId);

    public int Epoch => _state.Epoch;

    public LeaderAndEpoch Leader => new(_state.LeaderId, _state.Epoch);

    public bool IsLeader => _state is LeaderState;

    public string Role => _state.Name;

    /// <summary>Entries below it are committed, as far as this node knows; never decreases.</summary>
    public long HighWatermark { get; private set; }

    /// <summary>Restores the durable election state; a single voter elects itself here.</summary>
    public void Initialize(long nowMs)
    {
        LoadVoterSets();
        LoadSnapshot(nowMs);
        var saved = _store.Read();
        if (saved is null)
            _state = new UnattachedState(0, -1, CanStand ? nowMs + RandomElectionTimeout() : nowMs);
        else if (saved.LeaderId == LocalId || (saved.VotedId == LocalId && saved.LeaderId < 0))
            // Led or stood in that epoch before the restart: its volatile state is gone, so never lead it again
            // (and never vote in it for anyone else).
            _state = new UnattachedState(saved.Epoch, LocalId, nowMs + RandomElectionTimeout());
        else if (saved.LeaderId >= 0)
            _state = new FollowerState(saved.Epoch, saved.LeaderId, nowMs + _config.FetchTimeoutMs, -1);
        else
            _state = new UnattachedState(saved.Epoch, saved.VotedId, nowMs + RandomElectionTimeout());
        NotifyLeader();
        if (IsVoter && VoterIds.Count == 1 && _state is not LeaderState)
            BecomeCandidate(nowMs);
    }

    /// <summary>Appends a proposal on the leader; its offset, or -1 when this node does not lead. Flushed by the next <see cref="Poll"/>.</summary>
    public long Propose(byte[] payload, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length == 0)
            throw new ArgumentException("empty payloads are the quorum's own control entries", nameof(payload));
        if (_state is not LeaderState leader)
            return -1;
        if (VotersRecord.IsControl(payload))
            throw new ArgumentException("payloads starting with the control prefix are the quorum's own entries", nameof(payload));
        var offset = _log.EndOffset;
        Append([new RaftEntry(offset, leader.Epoch, payload)], nowMs);
        return offset;
    }

    /// <summary>The leader's view of every voter, itself included; empty elsewhere.</summary>
    public IReadOnlyList<VoterState> DescribeVoters(long nowMs)
    {
        if (_state is not LeaderState leader)
            return [];
        return [.. VoterIds.Select(id => id == LocalId ? new VoterState(id, _log.EndOffset, nowMs, BrokerEpoch, BrokerEpoch >= 0 ? nowMs : -1) : leader.Describe(id))];
    }

    /// <summary>The leader's view of the observers that fetched within the last <see cref="ObserverExpiryMs"/>; empty elsewhere.</summary>
    public IReadOnlyList<VoterState> DescribeObservers(long nowMs) =>
        _state is LeaderState leader ? leader.DescribeObservers(nowMs - ObserverExpiryMs) : [];

    /// <summary>
    /// Gives up leadership gracefully: voters are told (EndQuorumEpoch, most caught-up first) to elect now rather
    /// than after the fetch timeout. False when this node was not leading.
    /// </summary>
    public bool Resign(long nowMs)
    {
        if (_state is not LeaderState leader)
            return false;
        var successors = leader.BySuccession();
        SetState(new ResignedState(leader.Epoch, nowMs + RandomElectionTimeout()));
        foreach (var id in successors)
            Send(id, new EndQuorumEpochRequest(_config.ClusterId, LocalId, leader.Epoch, successors), _state);
        return true;
    }

    /// <summary>Runs due timers, flushes and advances the commit; returns when it next needs to run.</summary>
    public long Poll(long nowMs)
    {
        var next = long.MaxValue;
        // A timer may change the role (follower to candidate, candidate to leader); the new role's timers run too.
        for (var round = 0; round < 4; round++)
        {
            var before = _state;
            next = PollRole(nowMs);
            if (ReferenceEquals(before, _state))
                break;
        }
        FlushAndCommit(nowMs);
        MaybeSnapshot(nowMs);
        if (_state is LeaderState held)
            next = Math.Min(next, held.NextHeldDeadlineMs);
        return Math.Max(next, nowMs + 1);
    }

    /// <summary>The driver is stopping: fetches still held are answered (BrokerNotAvailable) rather than left hanging.</summary>
    public void Close()
    {
        if (_state is LeaderState leader)
        {
            foreach (var held in leader.TakeHeld(_ => true))
                held.Respond(FetchError(RaftErrors.BrokerNotAvailable));
        }
    }

    private long PollRole(long nowMs)
    {
        switch (_state)
        {
            case LeaderState leader:
                // Check quorum: a leader a majority has not fetched from lately may be cut off; step aside so the
                // rest elect sooner and this node's clients hear "not leader" instead of waiting out a timeout.
                var window = _config.FetchTimeoutMs * 3L / 2;
                if ((VoterIds.Count > 1 || !leader.IsVoter) && nowMs - leader.ElectedAtMs > window && leader.RecentlyFetched(nowMs, window) < Majority)
                {
                    Resign(nowMs);
                    return nowMs;
                }
                foreach (var id in leader.BeginToSend(nowMs))
                {
                    leader.BeginSent(id);
                    Send(id, new BeginQuorumEpochRequest(_config.ClusterId, LocalId, leader.Epoch), leader);
                }
                return Math.Min(leader.NextBeginRetryMs, nowMs + _config.FetchTimeoutMs / 2);
            case FollowerState follower:
                if (nowMs >= follower.FetchTimeoutAtMs)
                {
                    if (CanStand && follower.LeaderResigned)
                        BecomeCandidate(nowMs);
                    else if (CanStand)
                        BecomeProspective(nowMs);
                    else
                        SetState(new UnattachedState(follower.Epoch, -1, nowMs));
                    return nowMs;
                }
                // A lost fetch whose failure never came back is given up on after twice the request timeout.
                if (follower.InFlight is not null && nowMs - follower.InFlightSinceMs > 2L * _config.RequestTimeoutMs)
                    follower.InFlight = null;
                if (follower.InFlight is null && nowMs >= follower.NextFetchAtMs)
                    SendFetch(follower, follower.LeaderId, nowMs);
                var fetchAt = follower.InFlight is null ? follower.NextFetchAtMs : follower.InFlightSinceMs + 2L * _config.RequestTimeoutMs;
                return Math.Min(follower.FetchTimeoutAtMs, fetchAt);
            case NomineeState nominee:
                // A lost or split election (or a refused pre-vote) starts over with a pre-vote: no epoch bump
                // until a majority would vote.
                if (nowMs >= nominee.ElectionDeadlineMs)
                {
                    BecomeProspective(nowMs);
                    return nowMs;
                }
                AskForVotes(nominee, nowMs);
                return Math.Min(nominee.ElectionDeadlineMs, nominee.NextRetryMs);
            case UnattachedState unattached:
                if (nowMs < unattached.ElectionDeadlineMs)
                    return unattached.ElectionDeadlineMs;
                if (CanStand)
                {
                    if (unattached.StandAtOnce)
                        BecomeCandidate(nowMs);
                    else
                        BecomeProspective(nowMs);
                    return nowMs;
                }
                if (unattached.DiscoveryFetch is null)
                {
                    var discovery = DiscoveryIds;
                    var voter = discovery[_random.Next(discovery.Count)];
                    var fetch = NewFetch(unattached.Epoch, 0);
                    unattached.DiscoveryFetch = fetch;
                    Send(voter, fetch, unattached);
                }
                unattached.ElectionDeadlineMs = nowMs + _config.FetchTimeoutMs;
                return unattached.ElectionDeadlineMs;
            case ResignedState resigned:
                if (nowMs < resigned.ElectionDeadlineMs)
                    return resigned.ElectionDeadlineMs;
                if (CanStand)
                    BecomeProspective(nowMs);
                else
                    SetState(new UnattachedState(resigned.Epoch, LocalId, nowMs));
                return nowMs;
            default:
                return long.MaxValue;
        }
    }

    private void FlushAndCommit(long nowMs)
    {
        // Held fetches get new entries before this node's fsync, which then overlaps the followers' own.
        CompleteHeldFetches(nowMs);
        if (_log.FlushedOffset < _log.EndOffset)
        {
            _log.Flush();
            TraceFlushed();
        }
        if (_state is LeaderState leader)
        {
            AdvanceHighWatermark(leader.MajorityEnd(_log.FlushedOffset), nowMs);
            // A leader the last voter change removed leads until that change commits, then hands over at once.
            if (!IsVoter && HighWatermark > _voters.LatestOffset)
                Resign(nowMs);
        }
    }

    /// <summary>
    /// Raises the commit and tells the followers whose fetches are held before this node's listener applies what
    /// committed: a large entry (thousands of partition changes) then applies on every node at once instead of on
    /// the leader first and on the followers after. <paramref name="deliver"/> false: the caller answers its own
    /// request first and delivers after (<see cref="DeliverCommitted"/>).
    /// </summary>
    private void AdvanceHighWatermark(long candidate, long nowMs, bool deliver = true)
    {
        if (candidate <= HighWatermark)
            return;
        TraceCommitted(candidate);
        HighWatermark = candidate;
        CompleteHeldFetches(nowMs);
        if (deliver)
            DeliverCommitted();
    }

    private void DeliverCommitted()
    {
        while (_delivered < HighWatermark)
        {
            var batch = _log.Read(_delivered, _config.MaxFetchBytes);
            if (batch.Count == 0)
                throw new InvalidOperationException($"committed entry {_delivered} is missing from the log (end {_log.EndOffset})");
            var committed = new List<RaftEntry>(batch.Count);
            foreach (var entry in batch)
            {
                if (entry.Offset >= HighWatermark)
                    break;
                if (!VotersRecord.IsControl(entry.Payload))
                    committed.Add(entry);
                _bytesSinceSnapshot += entry.Payload.Length;
                _delivered = entry.Offset + 1;
            }
            if (committed.Count > 0)
                _listener.OnCommitted(committed);
        }
    }

    /// <summary>
    /// Asks for pre-votes in the current epoch (KIP-996). Whom this node already voted for in the epoch is kept, so
    /// it never gives a second real vote in it.
    /// </summary>
    private void BecomeProspective(long nowMs)
    {
        var (voted, mayVote) = _state switch
        {
            UnattachedState unattached => (unattached.VotedId, true),
            ProspectiveState previous => (previous.VotedId, previous.MayVote),
            FollowerState => (-1, false),
            _ => (LocalId, true),
        };
        var prospective = new ProspectiveState(_state.Epoch, LocalId, voted, mayVote, VoterIds, Majority, nowMs + RandomElectionTimeout());
        SetState(prospective);
        if (prospective.Won)
        {
            BecomeCandidate(nowMs);
            return;
        }
        AskForVotes(prospective, nowMs);
    }

    private void BecomeCandidate(long nowMs)
    {
        var epoch = _state.Epoch + 1;
        var candidate = new CandidateState(epoch, LocalId, VoterIds, Majority, nowMs + RandomElectionTimeout());
        if (candidate.Won)
        {
            // A single voter: no vote request leaves, and BecomeLeader's durable state records this vote too, so
            // the start-up of a one-node quorum pays one state write instead of two.
            SetState(candidate);
            BecomeLeader(nowMs);
            return;
        }
        // Durable before any vote request leaves: a restart must not vote for someone else in this epoch.
        _store.Write(new QuorumState(epoch, LocalId, -1));
        SetState(candidate);
        AskForVotes(candidate, nowMs);
    }

    private void AskForVotes(NomineeState nominee, long nowMs)
    {
        foreach (var id in nominee.ToAsk(nowMs))
        {
            nominee.Asked(id);
            Send(id, new VoteRequest(_config.ClusterId, nominee.Epoch, LocalId, _log.LastEpoch, _log.EndOffset, nominee.PreVote), nominee);
        }
    }

    private void BecomeLeader(long nowMs)
    {
        var epoch = _state.Epoch;
        _store.Write(new QuorumState(epoch, LocalId, LocalId));
        var start = _log.EndOffset;
        // The control entry: committing it commits every earlier epoch's entries (Raft's current-term rule). While
        // the voter set is only the config's, it writes that set into the log (kraft.version 1), so voter changes
        // have a logged set to start from and every member learns the voters' addresses from the log; otherwise it
        // is Kafka's LeaderChangeMessage.
        var granted = _state is NomineeState nominee ? nominee.Granted : [LocalId];
        var leader = new LeaderState(epoch, LocalId, VoterIds, start, nowMs);
        var control = _voters.KRaftVersion == 0
            ? (_voters.Latest with { KRaftVersion = 1 }).Encode()
            : ControlEntry.Create(ControlRecordType.LeaderChange, ControlMessages.EncodeLeaderChange(new LeaderChangeMessage(LocalId, VoterIds, granted)));
        Append([new RaftEntry(start, epoch, control)], nowMs);
        SetState(leader);
        foreach (var id in leader.BeginToSend(nowMs))
        {
            leader.BeginSent(id);
            Send(id, new BeginQuorumEpochRequest(_config.ClusterId, LocalId, epoch), leader);
        }
    }

    /// <summary>
    /// Follows <paramref name="leaderId"/>. <paramref name="heard"/>: the leader itself said so (rather than another
    /// voter naming it), so it counts as live for pre-votes.
    /// </summary>
    private void BecomeFollower(int epoch, int leaderId, long nowMs, bool heard)
    {
        var voted = _state.Epoch != epoch ? -1 : _state switch
        {
            UnattachedState u => u.VotedId,
            ProspectiveState p => p.VotedId,
            CandidateState => LocalId,
            _ => -1,
        };
        _store.Write(new QuorumState(epoch, voted, leaderId));
        SetState(new FollowerState(epoch, leaderId, nowMs + _config.FetchTimeoutMs, heard ? nowMs : -1));
    }

    /// <summary>Moves to a higher epoch that someone else (<paramref name="source"/>) announced: following its leader when known.</summary>
    private void OnHigherEpoch(int epoch, int leaderId, long nowMs, int source = -1)
    {
        if (leaderId >= 0 && leaderId != LocalId)
        {
            BecomeFollower(epoch, leaderId, nowMs, heard: source == leaderId);
            return;
        }
        _store.Write(new QuorumState(epoch, -1, -1));
        SetState(new UnattachedState(epoch, -1, nowMs + RandomElectionTimeout()));
    }

    private void SetState(EpochState state)
    {
        // A role change must not leave unflushed entries behind: the next role reports its log end to others
        // (fetch offsets, vote requests) as durable.
        if (_log.FlushedOffset < _log.EndOffset)
            _log.Flush();
        var previous = _state;
        _state = state;
        NotifyLeader();
        // A leader's held fetches are answered as the new role would answer them (not leader, or a newer epoch),
        // so their followers look for the next leader now instead of after the max wait.
        if (previous is LeaderState leader)
        {
            foreach (var held in leader.TakeHeld(_ => true))
                held.Respond(NotLeaderFetchError(held.Request));
        }
    }

    private void NotifyLeader()
    {
        var leader = Leader;
        if (leader == _notified)
            return;
        _notified = leader;
        _listener.OnLeaderChange(leader);
    }

    private int RandomElectionTimeout() => _config.ElectionTimeoutMs + _random.Next(_config.ElectionTimeoutMs + 1);

    private void Send(int destination, RaftRequest request, EpochState sentIn) =>
        _transport.Send(destination, request, response => _post(now => OnResponse(destination, request, response, sentIn, now)));
}
