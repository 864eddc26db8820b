using KafkaOperator.Quorum.Log;

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
    private long _sequence;
    private int _proposals;

    public Simulator(int voters, int seed, int observers = 0)
    {
        Random = new Random(seed);
        var ids = Enumerable.Range(1, voters).ToList();
        VoterCount = voters;
        Nodes = [.. Enumerable.Range(1, voters + observers).Select(id => new SimNode(this, new QuorumConfig(id, ids, "sim-cluster", ElectionTimeoutMs: 150, FetchTimeoutMs: 300, RequestTimeoutMs: 200)))];
        foreach (var node in Nodes)
            Start(node);
    }

    public Random Random { get; }

    public int VoterCount { get; }

    public long Now { get; private set; }

    public long Steps { get; private set; }

    public IReadOnlyList<SimNode> Nodes { get; }

    public double DropRate { get; set; }

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
                Committed[entry.Offset] = entry;
            node.LastDelivered = entry.Offset;
            node.Delivered.Add(entry.Offset);
        }
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
        if (!core.IsVoter)
            Assert.True(core.Role is "Follower" or "Unattached", $"observer {node.Id} is {core.Role}");
        if (core.IsLeader && core.HighWatermark > 0)
        {
            // Committed means durable on a majority of the voters: observers' copies never count.
            var last = core.HighWatermark - 1;
            var epoch = node.Log.EpochAt(last);
            var holders = Nodes.Take(VoterCount).Count(n => n.Log.FlushedOffset > last && n.Log.EpochAt(last) == epoch);
            Assert.True(holders >= VoterCount / 2 + 1, $"leader {node.Id} committed {last} held by only {holders} voter(s)");
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
        node.Core.Initialize(Now);
        AfterEvent(node);
    }

    private bool Lost(int from, int to) => _cut.Contains((from, to)) || Random.NextDouble() < DropRate;

    private int Delay() => Random.Next(1, 10);

    private sealed record Proposal(SimNode Node, int Incarnation, long Offset, int Epoch, byte[] Payload);
}
