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
        var led = new HashSet<int>?[n * n];
        for (var p = 0; p < Replicas.Length; p++)
            Link(led, n, p, add: true);
        var order = new List<int>(Targets);
        var from = new int[n];
        var via = new int[n];
        var queue = new Queue<int>();
        while (true)
        {
            order.Sort((a, b) => Leaders[a] != Leaders[b] ? Leaders[b].CompareTo(Leaders[a]) : a.CompareTo(b));
            var found = false;
            foreach (var source in order)
            {
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
                        if (from[y] >= 0 || led[(x * n) + y] is not { Count: > 0 } set)
                            continue;
                        from[y] = x;
                        via[y] = First(set);
                        queue.Enqueue(y);
                    }
                }
                if (sink < 0)
                    continue;
                // Hand over from the sink's end back to the source, so each hand-over uses a partition its giver
                // still leads.
                for (var y = sink; y != source; y = from[y])
                    SetLeader(led, n, via[y], y);
                found = true;
                break;
            }
            if (!found)
                return;
        }
    }

    private static int First(HashSet<int> set)
    {
        foreach (var p in set)
            return p;
        return -1;
    }

    private void Link(HashSet<int>?[] led, int n, int p, bool add)
    {
        var replicas = Replicas[p];
        var leader = replicas[0];
        for (var i = 1; i < replicas.Length; i++)
        {
            ref var set = ref led[(leader * n) + replicas[i]];
            if (add)
                (set ??= []).Add(p);
            else
                set!.Remove(p);
        }
    }

    private void SetLeader(HashSet<int>?[] led, int n, int p, int broker)
    {
        Link(led, n, p, add: false);
        var replicas = Replicas[p];
        Leaders[replicas[0]]--;
        Leaders[broker]++;
        var position = Array.IndexOf(replicas, broker);
        Array.Copy(replicas, 0, replicas, 1, position);
        replicas[0] = broker;
        Link(led, n, p, add: true);
    }
}
