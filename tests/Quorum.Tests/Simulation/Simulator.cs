using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum.Tests.Simulation;

/// <summary>
/// A cluster of cores on a virtual clock: one priority queue of events (ordered by time, then by insertion), a
/// network with per-message delay, drops and cut links, and a nemesis that crashes, restarts and partitions nodes.
/// Everything, nemesis included, draws from one seeded <see cref="Random"/>, so a failing seed replays exactly.
/// The invariants are checked as events happen (<see cref="Check"/> throws at the first violation). Nodes after the
/// voters are observers (broker-only nodes): they follow the log, and must never vote, stand or count for a commit.
/// </summary>
internal sealed class Simulator
{
    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly HashSet<(int From, int To)> _cut = [];
    private readonly Dictionary<int, int> _leaderOfEpoch = [];
    private readonly List<Proposal> _waiting = [];
    private readonly List<ulong> _committedHashes = [];
    private long _sequence;
    private int _proposals;

    /// <summary><paramref name="snapshots"/>: every node writes snapshots by this policy (none when null).</summary>
    public Simulator(int voters, int seed, int observers = 0, SnapshotPolicy? snapshots = null)
    {
        Random = new Random(seed);
        var ids = Enumerable.Range(1, voters).ToList();
        VoterCount = voters;
        Nodes = [.. Enumerable.Range(1, voters + observers).Select(id => new SimNode(this, new QuorumConfig(id, ids, "sim-cluster", ElectionTimeoutMs: 150, FetchTimeoutMs: 300, RequestTimeoutMs: 200), snapshots))];
        foreach (var node in Nodes)
            Start(node);
    }

    public Random Random { get; }

    public int VoterCount { get; }

    public long Now { get; private set; }

    public long Steps { get; private set; }

    public IReadOnlyList<SimNode> Nodes { get; }

    public double DropRate { get; set; }

    /// <summary>The nemesis also adds and removes voters (KIP-853) through whichever node leads.</summary>
    public bool VoterChanges { get; set; }

    /// <summary>Voter changes the leader appended, and those it saw committed.</summary>
    public int VoterChangesAppended { get; private set; }

    public int VoterChangesCommitted { get; private set; }

    /// <summary>Leaders that removed themselves and handed over once that was committed.</summary>
    public int LeadersRemoved { get; private set; }

    /// <summary>Every committed entry any node delivered, by offset: the one sequence every node's must be a prefix of.</summary>
    public SortedDictionary<long, RaftEntry> Committed { get; } = [];

    /// <summary>Proposals the leader saw committed (its high watermark passed them in their epoch).</summary>
    public List<(long Offset, byte[] Payload)> Acknowledged { get; } = [];

    public void Schedule(long at, Action action) => _events.Enqueue(action, (Math.Max(at, Now), _sequence++));

    public void RunUntil(long until)
    {
        while (_events.TryPeek(out _, out var when) && when.Item1 <= until)
        {
            var action = _events.Dequeue();
            Now = when.Item1;
            Steps++;
            action();
        }
        Now = until;
    }

    /// <summary>Chaos: client proposals on whichever node leads, and a nemesis every few hundred virtual ms.</summary>
    public void RunChaos(long durationMs, bool nemesis)
    {
        var end = Now + durationMs;
        var nextNemesis = Now + Random.Next(100, 400);
        while (Now < end)
        {
            var next = Math.Min(end, Now + Random.Next(10, 50));
            RunUntil(next);
            ProposeOnLeader();
            if (nemesis && Now >= nextNemesis)
            {
                Nemesis();
                nextNemesis = Now + Random.Next(100, 400);
            }
        }
    }

    /// <summary>Cuts every link to and from <paramref name="id"/>.</summary>
    public void Isolate(int id)
    {
        foreach (var other in Nodes.Where(n => n.Id != id))
        {
            _cut.Add((id, other.Id));
            _cut.Add((other.Id, id));
        }
    }

    public void HealAll()
    {
        _cut.Clear();
        DropRate = 0;
        foreach (var node in Nodes.Where(n => !n.Alive))
            Start(node);
    }

    public byte[]? ProposeOnLeader()
    {
        var leaders = Nodes.Where(n => n.Alive && n.Core.IsLeader).ToList();
        if (leaders.Count == 0)
            return null;
        var node = leaders[Random.Next(leaders.Count)];
        var payload = BitConverter.GetBytes(++_proposals);
        var offset = node.Core.Propose(payload, Now);
        _waiting.Add(new Proposal(node, node.Incarnation, offset, node.Core.Epoch, payload));
        AfterEvent(node);
        return payload;
    }

    /// <summary>
    /// Sends <paramref name="request"/> over the simulated network. As the TCP transport does, every request gets
    /// exactly one answer, as an event: the response, or null at the request timeout (lost either way, a dead target,
    /// or a fetch held longer than that).
    /// </summary>
    public void Send(SimNode from, int to, RaftRequest request, Action<RaftResponse?> onResponse)
    {
        var incarnation = from.Incarnation;
        var answered = false;
        void Complete(RaftResponse? response)
        {
            if (answered)
                return;
            answered = true;
            if (from.Alive && from.Incarnation == incarnation)
            {
                onResponse(response);
                AfterEvent(from);
            }
        }
        Schedule(Now + from.Config.RequestTimeoutMs, () => Complete(null));
        if (Lost(from.Id, to))
            return;
        Schedule(Now + Delay(), () =>
        {
            var target = Nodes[to - 1];
            if (!target.Alive)
                return;
            var targetIncarnation = target.Incarnation;
            // A held fetch is answered later, from one of the target's own events.
            target.Core.Handle(request, Now, response =>
            {
                if (!target.Alive || target.Incarnation != targetIncarnation || Lost(to, from.Id))
                    return;
                Schedule(Now + Delay(), () => Complete(response));
            });
            AfterEvent(target);
        });
    }

    /// <summary>Runs the node's timers, checks the invariants, and keeps one timer event at its next deadline.</summary>
    public void AfterEvent(SimNode node)
    {
        if (!node.Alive)
            return;
        var deadline = node.Core.Poll(Now);
        Check(node);
        if (deadline < node.TimerAt || node.TimerAt <= Now)
        {
            node.TimerAt = deadline;
            var incarnation = node.Incarnation;
            Schedule(deadline, () =>
            {
                if (node.Alive && node.Incarnation == incarnation && node.TimerAt == deadline)
                    AfterEvent(node);
            });
        }
    }

    public void OnDelivered(SimNode node, IReadOnlyList<RaftEntry> entries)
    {
        foreach (var entry in entries)
        {
            Assert.True(entry.Payload.Length > 0, "control entries are not delivered");
            Assert.True(entry.Offset > node.LastDelivered, $"node {node.Id} delivered {entry.Offset} after {node.LastDelivered}");
            if (Committed.TryGetValue(entry.Offset, out var known))
            {
                Assert.True(known.Epoch == entry.Epoch && known.Payload.AsSpan().SequenceEqual(entry.Payload),
                    $"node {node.Id} delivered a different entry at committed offset {entry.Offset}");
            }
            else
            {
                Committed[entry.Offset] = entry;
                _committedHashes.Add(Mix(_committedHashes.Count == 0 ? 0 : _committedHashes[^1], entry));
            }
            node.LastDelivered = entry.Offset;
            node.Delivered.Add(entry.Offset);
            node.Hash = Mix(node.Hash, entry);
        }
    }

    /// <summary>A snapshot of <paramref name="count"/> entries must be exactly the committed sequence's first ones.</summary>
    public void CheckSnapshot(SimNode node, int count, long last, ulong hash)
    {
        Assert.True(count <= _committedHashes.Count, $"node {node.Id}: snapshot of {count} entries, only {_committedHashes.Count} committed");
        var keys = Committed.Keys.Take(count).ToList();
        Assert.True(count == 0 || (keys[^1] == last && _committedHashes[count - 1] == hash), $"node {node.Id}: snapshot of {count} entries differs from the committed sequence");
        node.Delivered.Clear();
        node.Delivered.AddRange(keys);
        node.LastDelivered = count == 0 ? -1 : last;
        node.Hash = hash;
    }

    private static ulong Mix(ulong hash, RaftEntry entry)
    {
        hash = (hash ^ (ulong)entry.Offset) * 0x100000001B3UL;
        hash = (hash ^ (uint)entry.Epoch) * 0x100000001B3UL;
        foreach (var b in entry.Payload)
            hash = (hash ^ b) * 0x100000001B3UL;
        return hash;
    }

    /// <summary>Every node's delivered offsets are a prefix of the global committed sequence (no gaps, no forks).</summary>
    public void CheckPrefixes()
    {
        var global = Committed.Keys.ToList();
        foreach (var node in Nodes)
        {
            Assert.True(node.Delivered.Count <= global.Count, $"node {node.Id} delivered more than was committed");
            for (var i = 0; i < node.Delivered.Count; i++)
                Assert.True(node.Delivered[i] == global[i], $"node {node.Id} delivered {node.Delivered[i]} where the committed sequence has {global[i]}");
        }
    }

    private void Check(SimNode node)
    {
        var core = node.Core;
        // The log never starts above what this node knows is committed: a snapshot holds committed entries only.
        Assert.True(node.Log.StartOffset <= core.HighWatermark, $"node {node.Id}: log start {node.Log.StartOffset} above its high watermark {core.HighWatermark}");
        if (node.Snapshots.List() is [.., var latest])
            Assert.True(latest.EndOffset <= core.HighWatermark, $"node {node.Id}: snapshot {latest} beyond its high watermark {core.HighWatermark}");
        // A non-voter stands only while the latest change removed it and may not be committed (it may be the one
        // that must lead to commit it); a leader that removed itself leads until then.
        if (!core.IsVoter && !core.CanStand)
            Assert.True(core.Role is "Follower" or "Unattached" or "Voted" or "Resigned", $"observer {node.Id} is {core.Role}");
        // Checked as the leader moves its high watermark (it counts over its voter set then; a set appended later
        // may be larger than the one an earlier commit was counted over).
        if (core.IsLeader && core.HighWatermark > 0 && node.LeaderEpoch == core.Epoch && core.HighWatermark > node.LeaderHighWatermark)
        {
            // Committed means durable on a majority of the leader's voter set (in a snapshot when below the log
            // start): observers' copies never count.
            var last = core.HighWatermark - 1;
            var epoch = node.Log.EpochAt(last);
            var voters = core.VoterIds;
            var holders = Nodes.Where(n => voters.Contains(n.Id)).Count(n => n.Log.FlushedOffset > last && (n.Log.StartOffset > last + 1 || n.Log.EpochAt(last) == epoch));
            Assert.True(holders >= voters.Count / 2 + 1, $"leader {node.Id} committed {last} held by only {holders} of voters [{string.Join(",", voters)}]");
        }
        if (node.VoterChangeAt >= 0 && core.HighWatermark > node.VoterChangeAt && node.Log.EpochAt(node.VoterChangeAt) == node.VoterChangeEpoch)
        {
            VoterChangesCommitted++;
            node.VoterChangeAt = -1;
            if (!core.IsVoter)
                LeadersRemoved++;
        }
        if (core.IsLeader)
        {
            if (_leaderOfEpoch.TryGetValue(core.Epoch, out var leader))
                Assert.True(leader == node.Id, $"two leaders in epoch {core.Epoch}: {leader} and {node.Id}");
            else
                _leaderOfEpoch[core.Epoch] = node.Id;
            if (node.LeaderEpoch == core.Epoch)
                Assert.True(core.HighWatermark >= node.LeaderHighWatermark, $"leader {node.Id} high watermark went back");
            node.LeaderEpoch = core.Epoch;
            node.LeaderHighWatermark = core.HighWatermark;
        }
        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            var p = _waiting[i];
            if (p.Node != node)
                continue;
            if (p.Incarnation != node.Incarnation || node.Log.EpochAt(p.Offset) != p.Epoch)
                _waiting.RemoveAt(i);
            else if (core.HighWatermark > p.Offset)
            {
                _waiting.RemoveAt(i);
                Acknowledged.Add((p.Offset, p.Payload));
            }
        }
    }

    private void Nemesis()
    {
        var roll = Random.Next(100);
        var alive = Nodes.Where(n => n.Alive).ToList();
        var dead = Nodes.Where(n => !n.Alive).ToList();
        if (roll < 25 && alive.Count > 0)
            Crash(alive[Random.Next(alive.Count)]);
        else if (roll < 50 && dead.Count > 0)
            Start(dead[Random.Next(dead.Count)]);
        else if (roll < 70)
        {
            var a = Random.Next(1, Nodes.Count + 1);
            var b = Random.Next(1, Nodes.Count + 1);
            _cut.Add((a, b));
            if (Random.Next(2) == 0)
                _cut.Add((b, a));
        }
        else if (roll < 85)
            _cut.Clear();
        else
            DropRate = Random.NextDouble() * 0.3;
        if (VoterChanges && Random.Next(3) == 0)
            ChangeVoters();
    }

    /// <summary>
    /// On a random leader: removes a random voter (itself too) or adds a random non-voter, as AddRaftVoter and
    /// RemoveRaftVoter would; refusals (not caught up, a change pending, no entry of its epoch committed) are fine.
    /// </summary>
    public void ChangeVoters()
    {
        var leaders = Nodes.Where(n => n.Alive && n.Core.IsLeader).ToList();
        if (leaders.Count == 0)
            return;
        var leader = leaders[Random.Next(leaders.Count)];
        var voters = leader.Core.VoterIds;
        var others = Nodes.Where(n => !voters.Contains(n.Id)).ToList();
        var remove = others.Count == 0 || (voters.Count > 1 && Random.Next(2) == 0);
        var change = remove
            ? leader.Core.RemoveVoter(voters[Random.Next(voters.Count)], Now)
            : leader.Core.AddVoter(new Voters.Voter(others[Random.Next(others.Count)].Id, Guid.Empty, ""), Now);
        if (change.ErrorCode == RaftErrors.None)
        {
            VoterChangesAppended++;
            leader.VoterChangeAt = change.Offset;
            leader.VoterChangeEpoch = leader.Core.Epoch;
        }
        AfterEvent(leader);
    }

    public void Crash(SimNode node)
    {
        CheckPrefixes();
        node.Alive = false;
        node.Incarnation++;
        node.Log.Crash();
    }

    private void Start(SimNode node)
    {
        node.Restart(Random.Next());
        node.Starting = true;
        node.Core.Initialize(Now);
        node.Starting = false;
        AfterEvent(node);
    }

    private bool Lost(int from, int to) => _cut.Contains((from, to)) || Random.NextDouble() < DropRate;

    private int Delay() => Random.Next(1, 10);

    private sealed record Proposal(SimNode Node, int Incarnation, long Offset, int Epoch, byte[] Payload);
}
