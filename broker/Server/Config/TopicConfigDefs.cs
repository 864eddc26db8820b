namespace KafkaOperator.Server.Config;

/// <summary>
/// Topic-level configuration keys and the broker key each takes its default from (log.retention.ms →
/// retention.ms), as Kafka's LogConfig maps them. A topic value not overridden per topic comes from the broker
/// synonyms in order (dynamic broker, dynamic default, static, default).
/// </summary>
public static class TopicConfigDefs
{
    private const string LongMax = "9223372036854775807";

    public sealed record TopicKey(ConfigKey Key, string? BrokerName)
    {
        public string Name => Key.Name;
    }

    public static readonly IReadOnlyList<TopicKey> All =
    [
        T(new("cleanup.policy", ConfigType.List, "delete") { ValidValues = ["compact", "delete"], ListOfValidValues = true }, "log.cleanup.policy"),
        T(new("compression.type", ConfigType.String, "producer") { ValidValues = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] }, "compression.type"),
        T(new("compression.gzip.level", ConfigType.Int, "-1") { Min = -1, Max = 9 }, "compression.gzip.level"),
        T(new("compression.lz4.level", ConfigType.Int, "9") { Min = 1, Max = 17 }, "compression.lz4.level"),
        T(new("compression.zstd.level", ConfigType.Int, "3") { Min = -131072, Max = 22 }, "compression.zstd.level"),
        T(new("delete.retention.ms", ConfigType.Long, "86400000") { Min = 0 }, "log.cleaner.delete.retention.ms"),
        T(new("file.delete.delay.ms", ConfigType.Long, "60000") { Min = 0 }, "log.segment.delete.delay.ms"),
        T(new("flush.messages", ConfigType.Long, LongMax) { Min = 1 }, "log.flush.interval.messages"),
        T(new("flush.ms", ConfigType.Long, LongMax) { Min = 0 }, "log.flush.interval.ms"),
        T(new("follower.replication.throttled.replicas", ConfigType.List, "") { Check = Replication.ReplicationQuota.ValidateList }, null),
        T(new("index.interval.bytes", ConfigType.Int, "4096") { Min = 0 }, "log.index.interval.bytes"),
        T(new("leader.replication.throttled.replicas", ConfigType.List, "") { Check = Replication.ReplicationQuota.ValidateList }, null),
        T(new("local.retention.bytes", ConfigType.Long, "-2") { Min = -2 }, null),
        T(new("local.retention.ms", ConfigType.Long, "-2") { Min = -2 }, null),
        T(new("max.compaction.lag.ms", ConfigType.Long, LongMax) { Min = 1 }, "log.cleaner.max.compaction.lag.ms"),
        T(new("max.message.bytes", ConfigType.Int, "1048588") { Min = 0 }, "message.max.bytes"),
        T(new("message.timestamp.after.max.ms", ConfigType.Long, "3600000") { Min = 0 }, "log.message.timestamp.after.max.ms"),
        T(new("message.timestamp.before.max.ms", ConfigType.Long, LongMax) { Min = 0 }, "log.message.timestamp.before.max.ms"),
        T(new("message.timestamp.type", ConfigType.String, "CreateTime") { ValidValues = ["CreateTime", "LogAppendTime"] }, "log.message.timestamp.type"),
        T(new("min.cleanable.dirty.ratio", ConfigType.Double, "0.5") { Min = 0, Max = 1 }, "log.cleaner.min.cleanable.ratio"),
        T(new("min.compaction.lag.ms", ConfigType.Long, "0") { Min = 0 }, "log.cleaner.min.compaction.lag.ms"),
        T(new("min.insync.replicas", ConfigType.Int, "1") { Min = 1 }, "min.insync.replicas"),
        T(new("preallocate", ConfigType.Boolean, "false"), "log.preallocate"),
        T(new("remote.storage.enable", ConfigType.Boolean, "false"), null),
        T(new("retention.bytes", ConfigType.Long, "-1"), "log.retention.bytes"),
        T(new("retention.ms", ConfigType.Long, "604800000") { Min = -1 }, "log.retention.ms"),
        T(new("segment.bytes", ConfigType.Int, "1073741824") { Min = 14 }, "log.segment.bytes"),
        T(new("segment.index.bytes", ConfigType.Int, "10485760") { Min = 4 }, "log.index.size.max.bytes"),
        T(new("segment.jitter.ms", ConfigType.Long, "0") { Min = 0 }, "log.roll.jitter.ms"),
        T(new("segment.ms", ConfigType.Long, "604800000") { Min = 1 }, "log.roll.ms"),
        T(new("unclean.leader.election.enable", ConfigType.Boolean, "false"), "unclean.leader.election.enable"),
    ];

    private static readonly Dictionary<string, TopicKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static TopicKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Validates a topic override; null when fine, otherwise Kafka-style message.</summary>
    public static string? Validate(string name, string? value)
    {
        var key = Find(name);
        if (key is null)
            return $"Unknown topic config name: {name}";
        return key.Key.Validate(value);
    }

    private static TopicKey T(ConfigKey key, string? brokerName) => new(key, brokerName);
}
