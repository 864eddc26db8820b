namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// Target replica lists that bring a topic's partitions to a new replication factor with as few changes as
/// possible: replicas only added (growth) or only removed (shrink), the preferred leader and the current leader kept
/// where they can be. The balancer (broker/Balancer) never changes a replication factor, so this is the operator's
/// own step; it spreads by replica count, the balancer's first measure, and leaves the finer balance (bytes,
/// preferred leaders) to a later rebalance.
/// </summary>
public static class ReplicationFactorPlanner
{
    /// <summary>
    /// Growth adds, per partition in order, the registered brokers holding the fewest replicas (counting the
    /// additions already planned; ties by id), after the existing replicas. Shrinking removes, in turn, a replica
    /// on a broker that is not registered, then one out of the ISR, then a follower that is not the preferred
    /// leader, on the broker holding the most replicas (ties: the highest id); the current leader is never removed.
    /// Partitions already at <paramref name="replicationFactor"/> are left out of the result.
    /// </summary>
    /// <param name="loads">Every registered broker and the replicas it holds now.</param>
    public static Dictionary<int, IReadOnlyList<int>> Plan(IEnumerable<TopicPartitionReplicas> partitions, int replicationFactor, IReadOnlyDictionary<int, int> loads)
    {
        if (replicationFactor < 1 || replicationFactor > loads.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), replicationFactor, $"a replication factor from 1 to the {loads.Count} registered brokers");
        }
        var load = new Dictionary<int, int>(loads);
        var targets = new Dictionary<int, IReadOnlyList<int>>();
        foreach (var p in partitions.OrderBy(p => p.Partition))
        {
            var replicas = p.Target.ToList();
            if (replicas.Count == replicationFactor)
            {
                continue;
            }
            while (replicas.Count < replicationFactor)
            {
                var add = load.Keys.Where(b => !replicas.Contains(b)).OrderBy(b => load[b]).ThenBy(b => b).First();
                replicas.Add(add);
                load[add]++;
            }
            while (replicas.Count > replicationFactor)
            {
                var remove = replicas.Where(b => b != p.Leader)
                    .OrderBy(b => load.ContainsKey(b) ? 1 : 0)
                    .ThenBy(b => p.Isr.Contains(b) ? 1 : 0)
                    .ThenBy(b => b == replicas[0] ? 1 : 0)
                    .ThenByDescending(b => load.GetValueOrDefault(b))
                    .ThenByDescending(b => b)
                    .First();
                replicas.Remove(remove);
                if (load.ContainsKey(remove))
                {
                    load[remove]--;
                }
            }
            targets[p.Partition] = replicas;
        }
        return targets;
    }
}
