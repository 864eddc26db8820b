namespace KafkaOperator.Operator.Models;

/// <summary>
/// Which spec.config keys the brokers take without a restart. These are Kafka's cluster-wide dynamic broker configs
/// (DynamicBrokerConfig: the log defaults, thread pools, message size, throttles, leader balancing) that the brokers
/// also accept as dynamic: the operator applies them with IncrementalAlterConfigs to the cluster-wide default
/// entity and leaves them out of the pods' config hash, so changing one rolls nothing. Every other key is static:
/// it is rendered into server.properties and a change rolls the brokers.
/// </summary>
public static class DynamicConfig
{
    public static IReadOnlySet<string> Keys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "num.network.threads", "num.io.threads", "num.recovery.threads.per.data.dir", "num.partitions",
        "min.insync.replicas", "message.max.bytes", "compression.type", "compression.gzip.level", "compression.lz4.level",
        "compression.zstd.level", "log.segment.bytes", "log.roll.ms", "log.roll.jitter.ms", "log.retention.ms",
        "log.retention.bytes", "log.cleanup.policy", "log.flush.interval.messages", "log.flush.interval.ms",
        "log.index.interval.bytes", "log.index.size.max.bytes", "log.preallocate", "log.segment.delete.delay.ms",
        "log.message.timestamp.type", "log.message.timestamp.before.max.ms", "log.message.timestamp.after.max.ms",
        "log.cleaner.threads", "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.size",
        "log.cleaner.io.buffer.load.factor", "log.cleaner.io.max.bytes.per.second", "log.cleaner.backoff.ms",
        "log.cleaner.min.cleanable.ratio", "log.cleaner.delete.retention.ms", "log.cleaner.min.compaction.lag.ms",
        "log.cleaner.max.compaction.lag.ms", "unclean.leader.election.enable", "producer.id.expiration.ms",
        "leader.replication.throttled.rate", "follower.replication.throttled.rate", "auto.leader.rebalance.enable",
        "leader.imbalance.check.interval.seconds", "leader.imbalance.per.broker.percentage", "max.connections",
    };

    public static bool IsDynamic(string key) => Keys.Contains(key);

    /// <summary>The user's keys that are applied dynamically, sorted.</summary>
    public static SortedDictionary<string, string> DynamicPart(IReadOnlyDictionary<string, string>? config)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in config ?? new Dictionary<string, string>())
        {
            if (IsDynamic(k))
            {
                result[k] = v;
            }
        }
        return result;
    }
}
