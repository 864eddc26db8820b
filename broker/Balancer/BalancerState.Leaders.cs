namespace KafkaOperator.Balancer;

internal sealed partial class BalancerState
{
    /// <summary>
    /// Chooses each partition's preferred leader among its replicas so that leader counts are as even as they can be:
    /// while some broker can hand one leadership, through a chain of partitions (broker s leads a partition that has a
    /// replica on x, x leads one with a replica on y, ...), to a broker with at least two fewer, it does so. With no
    /// such chain left the assignment is an optimal semi-matching (Harvey et al.), so no other choice of leaders has a
    /// busier busiest broker. Only leaders on a chain change.
    /// </summary>
    public void BalanceLeaders()
    {
        var n = BrokerIds.Length;
        var links = new LeaderLinks(this, n);
        var tried = new bool[n];
        var from = new int[n];
        var via = new int[n];
        var queue = new Queue<int>();
        while (true)
        {
            Array.Fill(tried, false);
            var found = false;
            // Sources from the most leaders down (then by id), one at a time: the first nearly always finds a chain.
            for (var source = MostLeaders(tried); source >= 0 && !found; source = MostLeaders(tried))
            {
                tried[source] = true;
                Array.Fill(from, -1);
                from[source] = source;
                queue.Clear();
                queue.Enqueue(source);
                var sink = -1;
                while (queue.Count > 0 && sink < 0)
                {
                    var x = queue.Dequeue();
                    if (Leaders[x] <= Leaders[source] - 2)
                    {
                        // The nearest will do: every hand-over on the way changes one more partition's leader.
                        sink = x;
                        break;
                    }
                    foreach (var y in Targets)
                    {
                        if (from[y] >= 0)
                            continue;
                        var p = links.Any(x, y);
                        if (p < 0)
                            continue;
                        from[y] = x;
                        via[y] = p;
                        queue.Enqueue(y);
                    }
                }
                if (sink < 0)
                    continue;
                // Hand over from the sink's end back to the source, so each hand-over uses a partition its giver
                // still leads.
                for (var y = sink; y != source; y = from[y])
                    SetLeader(links, via[y], y);
                found = true;
            }
            if (!found)
                return;
        }
    }

    private int MostLeaders(bool[] tried)
    {
        var best = -1;
        foreach (var t in Targets)
        {
            if (!tried[t] && (best < 0 || Leaders[t] > Leaders[best]))
                best = t;
        }
        return best;
    }

    private void SetLeader(LeaderLinks links, int p, int broker)
    {
        links.Unlink(p);
        var replicas = Replicas[p];
        Leaders[replicas[0]]--;
        Leaders[broker]++;
        var position = Array.IndexOf(replicas, broker);
        Array.Copy(replicas, 0, replicas, 1, position);
        replicas[0] = broker;
        links.Link(p);
    }

    /// <summary>
    /// For each (leader, follower) pair of brokers, the partitions the first leads with a replica on the second: lists
    /// with each entry's slot remembered, so that removing one and taking any one are constant time (a HashSet's
    /// enumeration steps over the holes its removals leave, which made taking its first entry linear).
    /// </summary>
    private sealed class LeaderLinks
    {
        private readonly BalancerState _state;
        private readonly int _n;
        private readonly List<int>?[] _led;
        private readonly int[] _slotStart;
        private readonly int[] _slot;

        public LeaderLinks(BalancerState state, int n)
        {
            _state = state;
            _n = n;
            _led = new List<int>?[n * n];
            _slotStart = new int[state.Replicas.Length + 1];
            for (var p = 0; p < state.Replicas.Length; p++)
                _slotStart[p + 1] = _slotStart[p] + state.Replicas[p].Length;
            _slot = new int[_slotStart[^1]];
            for (var p = 0; p < state.Replicas.Length; p++)
                Link(p);
        }

        /// <summary>A partition x leads with a replica on y, or -1.</summary>
        public int Any(int x, int y) => _led[(x * _n) + y] is { Count: > 0 } list ? list[^1] : -1;

        public void Link(int p)
        {
            var replicas = _state.Replicas[p];
            for (var i = 1; i < replicas.Length; i++)
            {
                var list = _led[(replicas[0] * _n) + replicas[i]] ??= [];
                _slot[_slotStart[p] + i] = list.Count;
                list.Add(p);
            }
        }

        public void Unlink(int p)
        {
            var replicas = _state.Replicas[p];
            for (var i = 1; i < replicas.Length; i++)
            {
                var list = _led[(replicas[0] * _n) + replicas[i]]!;
                var at = _slot[_slotStart[p] + i];
                var last = list[^1];
                list[at] = last;
                _slot[_slotStart[last] + Array.IndexOf(_state.Replicas[last], replicas[i])] = at;
                list.RemoveAt(list.Count - 1);
            }
        }
    }
}
