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
            var fullest = order[0];
            var emptiest = order[^1];
            if (Bytes[fullest] - Bytes[emptiest] <= band)
                return;
            var step = 0;
            for (var i = order.Count - 1; i > 0 && step == 0 && Bytes[fullest] - Bytes[order[i]] > band; i--)
                step = Improve(fullest, order[i], budget - spent);
            for (var i = 1; i < order.Count - 1 && step == 0 && Bytes[order[i]] - Bytes[emptiest] > band; i++)
                step = Improve(order[i], emptiest, budget - spent);
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
            using var cursor = new OutwardCursor(OnBroker[a], half);
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
        if (allowance < 2)
            return 0;
        int bestX = -1, bestY = -1;
        var bestDistance = long.MaxValue;
        foreach (var (sy, y) in OnBroker[b])
        {
            if (sy + half >= Bytes[a])
                break;
            using var cursor = new OutwardCursor(OnBroker[a], sy + half);
            while (cursor.Next(out var sx, out var x, out var above))
            {
                var distance = Math.Abs(sx - sy - half);
                if (sx <= sy || sx >= sy + diff || distance >= bestDistance)
                {
                    cursor.Stop(above);
                    continue;
                }
                if (x != y && CanMove(x, a, b) && CanMove(y, b, a))
                {
                    (bestX, bestY, bestDistance) = (x, y, distance);
                    cursor.Stop(above);
                }
            }
            if (bestDistance == 0)
                break;
        }
        if (bestX < 0)
            return 0;
        Move(bestX, a, b);
        Move(bestY, b, a);
        return 2;
    }
}
