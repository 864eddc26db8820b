namespace KafkaOperator.Balancer;

internal sealed partial class BalancerState
{
    /// <summary>
    /// Evens out bytes without changing any broker's replica count: from a broker above the band to one below, a
    /// single move where the giver has one replica more (the two counts trade places), otherwise a swap of a larger
    /// replica for a smaller one. Each step narrows the gap between the two brokers without crossing it, so no
    /// broker ends above the fullest or below the emptiest, and it stops after <paramref name="budget"/> relocations.
    /// </summary>
    public void BalanceBytes(long band, int budget)
    {
        var spent = 0;
        var order = new List<int>(Targets);
        while (spent < budget && Targets.Length > 1)
        {
            order.Sort((a, b) => Bytes[a] != Bytes[b] ? Bytes[b].CompareTo(Bytes[a]) : a.CompareTo(b));
            var emptiest = order[^1];
            // The widest gaps first: the fullest against the emptiest it can give to, then the next fullest, ...
            var step = 0;
            for (var i = 0; i < order.Count - 1 && step == 0 && Bytes[order[i]] - Bytes[emptiest] > band; i++)
            {
                for (var j = order.Count - 1; j > i && step == 0 && Bytes[order[i]] - Bytes[order[j]] > band; j--)
                    step = Improve(order[i], order[j], budget - spent);
            }
            if (step == 0)
                return;
            spent += step;
        }
    }

    /// <summary>Moves bytes from a to b (fewer than their difference); returns the relocations made, 0 if none is allowed.</summary>
    private int Improve(int a, int b, int allowance)
    {
        var diff = Bytes[a] - Bytes[b];
        var half = diff / 2;
        if (Count[a] == Count[b] + 1)
        {
            var cursor = Nearest(a, half);
            while (cursor.Next(out var size, out var p, out var above))
            {
                if (size <= 0 || size >= diff)
                {
                    cursor.Stop(above);
                    continue;
                }
                if (CanMove(p, a, b))
                {
                    Move(p, a, b);
                    return 1;
                }
            }
        }
        if (allowance < 2 || !AnyMayGo(a, b) || !AnyMayGo(b, a))
            return 0;
        int bestX = -1, bestY = -1;
        var bestDistance = long.MaxValue;
        var looked = 0;
        foreach (var (sy, y) in OnBroker[b].Ascending())
        {
            // Close enough to the middle, or looked long enough: a better pair is not worth the search.
            if (bestDistance <= half / 8 || looked > 256)
                break;
            if (!Holds(y, b) || Holds(y, a) || RackCountAfter(y, b, a) < RequiredRacks[y])
                continue;
            looked++;
            if (sy + half >= Bytes[a])
                break;
            var cursor = Nearest(a, sy + half);
            while (cursor.Next(out var sx, out var x, out var above))
            {
                var distance = Math.Abs(sx - sy - half);
                if (sx <= sy || sx >= sy + diff || distance >= bestDistance)
                {
                    cursor.Stop(above);
                    continue;
                }
                if (x != y && CanMove(x, a, b))
                {
                    (bestX, bestY, bestDistance) = (x, y, distance);
                    cursor.Stop(above);
                }
            }
        }
        if (bestX < 0)
            return 0;
        Move(bestX, a, b);
        Move(bestY, b, a);
        return 2;
    }

    /// <summary>Whether any replica on broker a may go to b's rack (across racks, often none may: each partition has one there).</summary>
    private bool AnyMayGo(int a, int b)
    {
        if (RackOf[a] == RackOf[b])
            return true;
        // Remembered for the phase: a broker's partitions rarely gain a way into another rack.
        if (_mayGo.TryGetValue((a, RackOf[b]), out var known))
            return known;
        var result = AnyMayGoScan(a, b);
        _mayGo[(a, RackOf[b])] = result;
        return result;
    }

    private readonly Dictionary<(int Broker, int Rack), bool> _mayGo = [];

    private bool AnyMayGoScan(int a, int b)
    {
        foreach (var (_, p) in OnBroker[a].Ascending())
        {
            if (Holds(p, a) && RackCountAfter(p, a, b) >= RequiredRacks[p])
                return true;
        }
        return false;
    }
}
