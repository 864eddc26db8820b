namespace KafkaOperator.Balancer;

internal sealed partial class BalancerState
{
    private (int Lower, int Upper) CountBand()
    {
        long total = 0;
        foreach (var b in Targets)
            total += Count[b];
        var n = Math.Max(1, Targets.Length);
        return ((int)(total / n), (int)((total + n - 1) / n));
    }

    /// <summary>
    /// The fewest replica moves any plan needs to empty the removed brokers and bring every target's replica count
    /// into [floor(avg), ceil(avg)]: each move takes one replica off one broker and puts it on one target, so both
    /// the replicas that must leave and those that must arrive need a move each. When every partition has exactly one
    /// replica in each rack, no valid plan changes a rack's total, the global band may be out of reach, and the same
    /// count within each rack (to its own average) is the bound instead.
    /// </summary>
    public int LowerBoundMoves()
    {
        if (!RacksFixed())
            return Bound(Enumerable.Range(0, Count.Length));
        var perRack = 0;
        foreach (var rack in Targets.Select(t => RackOf[t]).Distinct())
            perRack += Bound(Enumerable.Range(0, Count.Length).Where(b => RackOf[b] == rack));
        return perRack;
    }

    /// <summary>Whether every partition has one replica in each rack of the targets (and none elsewhere), so rack totals cannot change.</summary>
    private bool RacksFixed()
    {
        var racks = Targets.Select(t => RackOf[t]).Distinct().Count();
        for (var p = 0; p < Replicas.Length; p++)
        {
            if (Replicas[p].Length != racks || RackCount(Replicas[p]) != racks || Replicas[p].Any(b => !IsTarget[b] && !Targets.Any(t => RackOf[t] == RackOf[b])))
                return false;
        }
        return true;
    }

    private int Bound(IEnumerable<int> brokers)
    {
        long total = 0, leaving = 0;
        var targets = new List<int>();
        foreach (var b in brokers)
        {
            total += Count[b];
            if (IsTarget[b])
                targets.Add(b);
            else
                leaving += Count[b];
        }
        if (targets.Count == 0)
            return 0;
        long lower = total / targets.Count, upper = (total + targets.Count - 1) / targets.Count, excess = 0, deficit = 0;
        foreach (var b in targets)
        {
            excess += Math.Max(0, Count[b] - upper);
            deficit += Math.Max(0, lower - Count[b]);
        }
        return (int)Math.Max(leaving + excess, deficit);
    }

    public long ByteBand(double fraction)
    {
        long total = 0, largest = 0;
        for (var p = 0; p < Size.Length; p++)
        {
            total += Size[p] * Replicas[p].Length;
            largest = Math.Max(largest, Size[p]);
        }
        return Math.Max(largest, (long)(fraction * total / Math.Max(1, Targets.Length)));
    }

    /// <summary>Moves every replica off the brokers that are not targets, each to the allowed target with the fewest replicas.</summary>
    public void Evacuate()
    {
        for (var p = 0; p < Replicas.Length; p++)
        {
            for (var i = 0; i < Replicas[p].Length; i++)
            {
                var from = Replicas[p][i];
                if (IsTarget[from])
                    continue;
                var best = -1;
                foreach (var t in Targets)
                {
                    if (CanMove(p, from, t) && (best < 0 || Lighter(t, best)))
                        best = t;
                }
                if (best < 0)
                    throw new BalancerException($"No broker can take partition {Partitions[p].Topic}-{Partitions[p].Partition}'s replica on broker {BrokerIds[from]}.");
                Move(p, from, best);
            }
        }
    }

    private bool Lighter(int a, int b) =>
        Count[a] != Count[b] ? Count[a] < Count[b] : Bytes[a] != Bytes[b] ? Bytes[a] < Bytes[b] : a < b;

    /// <summary>
    /// Count moves from the broker with the most replicas to the one with the fewest it can give to, each lowering the
    /// distance to the count band (excess above ceil(avg) plus deficit below floor(avg)) by at least one: the band of
    /// all targets, or for a move within a rack that rack's own band (racks can force a rack above the global one).
    /// </summary>
    public void BalanceCounts(long byteCap)
    {
        var (lower, upper) = CountBand();
        var racksFixed = RacksFixed();
        var rackTotal = new long[RackOf.Max() + 1];
        var rackSize = new int[rackTotal.Length];
        foreach (var t in Targets)
        {
            rackTotal[RackOf[t]] += Count[t];
            rackSize[RackOf[t]]++;
        }
        var stuck = new bool[Count.Length];
        // A source whose replicas all lose a rack by going to a given rack: its set only shrinks while it gives, so
        // it stays so; remembered to keep the search linear when racks bind.
        var rackBlocked = new HashSet<(int Source, int Rack)>();
        var receivers = new List<int>(Targets.Length);
        while (true)
        {
            var src = -1;
            foreach (var t in Targets)
            {
                if (!stuck[t] && (src < 0 || Count[t] > Count[src] || (Count[t] == Count[src] && Bytes[t] > Bytes[src])))
                    src = t;
            }
            if (src < 0)
                break;
            receivers.Clear();
            foreach (var t in Targets)
            {
                if (Count[t] > Count[src] - 2)
                    continue;
                var rack = RackOf[t];
                if ((!racksFixed && Gains(src, t, lower, upper))
                    || (rack == RackOf[src] && Gains(src, t, (int)(rackTotal[rack] / rackSize[rack]), (int)((rackTotal[rack] + rackSize[rack] - 1) / rackSize[rack]))))
                    receivers.Add(t);
            }
            // Every receiver left brings the counts closer; the one with the fewest bytes also evens out bytes most.
            // Taken in that order one at a time (the first nearly always takes the replica; sorting them all cost more).
            var moved = false;
            while (receivers.Count > 0)
            {
                var dst = TakeFewestBytes(receivers);
                if (RackOf[dst] != RackOf[src] && rackBlocked.Contains((src, RackOf[dst])))
                    continue;
                var (p, racksBlocked) = FindCountMove(src, dst, byteCap);
                if (p >= 0)
                {
                    Move(p, src, dst);
                    rackTotal[RackOf[src]]--;
                    rackTotal[RackOf[dst]]++;
                    moved = true;
                    break;
                }
                if (racksBlocked && RackOf[dst] != RackOf[src])
                    rackBlocked.Add((src, RackOf[dst]));
            }
            if (!moved)
                stuck[src] = true;
        }
    }

    private int TakeFewestBytes(List<int> brokers)
    {
        var at = 0;
        for (var i = 1; i < brokers.Count; i++)
        {
            int a = brokers[i], b = brokers[at];
            if (Bytes[a] != Bytes[b] ? Bytes[a] < Bytes[b] : Count[a] != Count[b] ? Count[a] < Count[b] : a < b)
                at = i;
        }
        var taken = brokers[at];
        brokers[at] = brokers[^1];
        brokers.RemoveAt(brokers.Count - 1);
        return taken;
    }

    private bool Gains(int src, int dst, int lower, int upper)
    {
        var excess = (Count[dst] >= upper ? 1 : 0) - (Count[src] > upper ? 1 : 0);
        var deficit = (Count[src] <= lower ? 1 : 0) - (Count[dst] < lower ? 1 : 0);
        return excess + deficit < 0;
    }

    /// <summary>
    /// The replica on src that may go to dst whose size brings the two brokers' bytes closest together, keeping the
    /// byte spread within the cap; also whether every replica looked at was refused for its racks alone.
    /// </summary>
    private (int Partition, bool RacksBlocked) FindCountMove(int src, int dst, long byteCap)
    {
        var half = Math.Max(0, (Bytes[src] - Bytes[dst]) / 2);
        var (restMax, restMin) = BytesExcept(src, dst);
        var racksBlocked = true;
        var cursor = Nearest(src, half);
        while (cursor.Next(out var size, out var p, out var above))
        {
            long a = Bytes[src] - size, b = Bytes[dst] + size;
            if (Math.Max(restMax, Math.Max(a, b)) - Math.Min(restMin, Math.Min(a, b)) > byteCap)
            {
                // The spread only grows further from the middle: nothing more on this side fits. What was not
                // looked at may suit the rack, so the rack is not known to be blocked.
                cursor.Stop(above);
                racksBlocked = false;
                continue;
            }
            if (RackCountAfter(p, src, dst) < RequiredRacks[p])
                continue;
            racksBlocked = false;
            if (!Holds(p, dst))
                return (p, false);
        }
        return (-1, racksBlocked);
    }
}
