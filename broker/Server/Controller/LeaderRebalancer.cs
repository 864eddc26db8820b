using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// One broker's leader imbalance as Kafka's controller computes it: of the partitions whose preferred leader (first
/// replica) is this broker, how many another broker leads (or none does).
/// </summary>
public sealed record BrokerImbalance(int BrokerId, int PreferredPartitions, int LedElsewhere)
{
    /// <summary>LedElsewhere / PreferredPartitions, 0 when the broker is preferred for nothing.</summary>
    public double Ratio => PreferredPartitions == 0 ? 0 : (double)LedElsewhere / PreferredPartitions;

    public double Percentage => Ratio * 100;
}

/// <summary>
/// Automatic leader rebalancing on the active controller (auto.leader.rebalance.enable), as Kafka's controller has
/// it: every leader.imbalance.check.interval.seconds it computes each broker's imbalance and, for every broker above
/// leader.imbalance.per.broker.percentage, moves leadership back to that broker wherever it is the preferred replica,
/// in sync and alive. Time is passed in (the milliseconds this node has been the active controller, with the quorum
/// epoch of that term), so tests drive the schedule without waiting: the first check comes one interval after a
/// controller takes over, then one every interval.
/// </summary>
public sealed class LeaderRebalancer
{
    private int _epoch = -1;
    private long _lastCheckMs;
    private bool _retry;

    /// <summary>
    /// Whether a check is due at <paramref name="leaderForMs"/> into the controller term <paramref name="epoch"/>;
    /// true marks it done. A new term starts a new schedule.
    /// </summary>
    public bool Due(int epoch, long leaderForMs, long intervalMs)
    {
        if (epoch != _epoch)
        {
            _epoch = epoch;
            _lastCheckMs = 0;
            _retry = false;
        }
        if (!_retry && leaderForMs - _lastCheckMs < intervalMs)
            return false;
        _retry = false;
        _lastCheckMs = leaderForMs;
        return true;
    }

    /// <summary>Asks for another check at the next opportunity (the last one's elections were not committed).</summary>
    public void RetrySoon() => _retry = true;

    /// <summary>Every broker that is some partition's preferred leader, with its imbalance, in broker id order.</summary>
    public static IReadOnlyList<BrokerImbalance> Imbalance(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var counts = new SortedDictionary<int, (int Preferred, int Elsewhere)>();
        foreach (var topic in image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.Replicas.Length == 0)
                    continue;
                var preferred = p.Replicas[0];
                var (total, elsewhere) = counts.GetValueOrDefault(preferred);
                counts[preferred] = (total + 1, elsewhere + (p.Leader != preferred ? 1 : 0));
            }
        }
        return [.. counts.Select(kv => new BrokerImbalance(kv.Key, kv.Value.Preferred, kv.Value.Elsewhere))];
    }

    /// <summary>
    /// The preferred-leader elections a check makes: for each broker whose imbalance ratio exceeds
    /// <paramref name="percentage"/> / 100, every partition it is preferred for but does not lead, where it may lead.
    /// </summary>
    public static List<PartitionChangeRecord> Choose(MetadataImage image, int percentage)
    {
        ArgumentNullException.ThrowIfNull(image);
        var over = Imbalance(image).Where(b => b.Ratio > percentage / 100.0).Select(b => b.BrokerId).ToHashSet();
        var changes = new List<PartitionChangeRecord>();
        if (over.Count == 0)
            return changes;
        foreach (var topic in image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                // A partition being reassigned gets its leader from the move's completion, as Kafka leaves it alone.
                if (p.Replicas.Length == 0 || p.IsReassigning || p.Leader == p.Replicas[0] || !over.Contains(p.Replicas[0]))
                    continue;
                if (LeaderElection.PreferredCanLead(image, p))
                    changes.Add(new PartitionChangeRecord(topic.TopicId, p.Partition, p.PartitionEpoch, p.Replicas[0], null));
            }
        }
        return changes;
    }
}
