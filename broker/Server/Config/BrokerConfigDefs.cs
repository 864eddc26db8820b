using KafkaOperator.Server.Policies;

namespace KafkaOperator.Server.Config;

/// <summary>The broker configuration keys this broker knows, with Kafka's names, types and defaults.</summary>
public static class BrokerConfigDefs
{
    private const string LongMax = "9223372036854775807";

    public static readonly IReadOnlyList<ConfigKey> All =
    [
        new("node.id", ConfigType.Int, "-1"),
        new("broker.id", ConfigType.Int, "-1"),
        new("process.roles", ConfigType.List, "broker,controller"),
        new("controller.quorum.voters", ConfigType.List, ""),
        new("cluster.id", ConfigType.String, null),
        new("controller.listener.names", ConfigType.String, null),
        new("controller.quorum.election.timeout.ms", ConfigType.Int, "1000") { Min = 1 },
        new("controller.quorum.fetch.timeout.ms", ConfigType.Int, "2000") { Min = 1 },
        new("controller.quorum.request.timeout.ms", ConfigType.Int, "2000") { Min = 1 },
        new("broker.session.timeout.ms", ConfigType.Int, "9000") { Min = 1 },
        new("broker.heartbeat.interval.ms", ConfigType.Int, "2000") { Min = 1 },
        new("broker.rack", ConfigType.String, null),
        new("listeners", ConfigType.String, "PLAINTEXT://127.0.0.1:9092"),
        new("advertised.listeners", ConfigType.String, null),
        new("listener.security.protocol.map", ConfigType.String, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"),
        new("inter.broker.listener.name", ConfigType.String, null),
        new("log.dirs", ConfigType.String, null),
        new("log.dir", ConfigType.String, "/tmp/kafka-logs"),
        new("num.network.threads", ConfigType.Int, "3") { Min = 1, Dynamic = true },
        new("num.io.threads", ConfigType.Int, "8") { Min = 1, Dynamic = true },
        new("num.recovery.threads.per.data.dir", ConfigType.Int, "2") { Min = 1, Dynamic = true },
        new("socket.send.buffer.bytes", ConfigType.Int, "102400"),
        new("socket.receive.buffer.bytes", ConfigType.Int, "102400"),
        new("socket.request.max.bytes", ConfigType.Int, "104857600") { Min = 1 },
        new("queued.max.requests", ConfigType.Int, "500") { Min = 1 },
        new("max.request.partition.size.limit", ConfigType.Int, "2000") { Min = 1 },
        new("connections.max.idle.ms", ConfigType.Long, "600000"),
        new("num.partitions", ConfigType.Int, "1") { Min = 1, Dynamic = true },
        new("default.replication.factor", ConfigType.Int, "1") { Min = 1 },
        new("auto.create.topics.enable", ConfigType.Boolean, "true"),
        new("delete.topic.enable", ConfigType.Boolean, "true"),

        // Kafka's policy plugin keys take a built-in policy name here (kafkaoperator.policy.TopicLimits); the
        // policy.topic.* keys are that policy's limits. Static on purpose: a client must not relax them at runtime.
        new(BrokerPolicies.CreateTopicPolicyKey, ConfigType.Class, null) { Check = BrokerPolicies.CheckClassName },
        new(BrokerPolicies.AlterConfigPolicyKey, ConfigType.Class, null) { Check = BrokerPolicies.CheckClassName },
        new(TopicLimitsPolicy.MaxPartitionsKey, ConfigType.Int, "2147483647") { Min = 1 },
        new(TopicLimitsPolicy.MinReplicationFactorKey, ConfigType.Short, "1") { Min = 1 },
        new(TopicLimitsPolicy.MaxReplicationFactorKey, ConfigType.Short, "32767") { Min = 1 },
        new(TopicLimitsPolicy.MinInsyncReplicasKey, ConfigType.Int, "1") { Min = 1 },
        new(TopicLimitsPolicy.ForbiddenConfigsKey, ConfigType.List, "") { Check = BrokerPolicies.CheckTopicConfigNames },
        new(TopicLimitsPolicy.NamePatternKey, ConfigType.String, null) { Check = BrokerPolicies.CheckPattern },

        // The broker's own Prometheus endpoint (Strimzi's JMX exporter port by default); -1 turns it off, 0 takes
        // an ephemeral port (tests). Not Kafka keys: Kafka has no HTTP endpoint of its own.
        new(Metrics.MetricsEndpoint.PortKey, ConfigType.Int, "9404") { Min = -1, Max = 65535 },
        new(Metrics.MetricsEndpoint.HostKey, ConfigType.String, null),
        new(Metrics.MetricsEndpoint.MaxConnectionsKey, ConfigType.Int, "4") { Min = 1 },

        new("min.insync.replicas", ConfigType.Int, "1") { Min = 1, Dynamic = true },
        new("message.max.bytes", ConfigType.Int, "1048588") { Min = 0, Dynamic = true },
        new("compression.type", ConfigType.String, "producer") { ValidValues = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"], Dynamic = true },
        new("compression.gzip.level", ConfigType.Int, "-1") { Min = -1, Max = 9, Dynamic = true },
        new("compression.lz4.level", ConfigType.Int, "9") { Min = 1, Max = 17, Dynamic = true },
        new("compression.zstd.level", ConfigType.Int, "3") { Min = -131072, Max = 22, Dynamic = true },
        new("log.segment.bytes", ConfigType.Int, "1073741824") { Min = 14, Dynamic = true },
        new("log.roll.ms", ConfigType.Long, null) { Min = 1, Dynamic = true },
        new("log.roll.hours", ConfigType.Int, "168") { Min = 1 },
        new("log.roll.jitter.ms", ConfigType.Long, null) { Min = 0, Dynamic = true },
        new("log.roll.jitter.hours", ConfigType.Int, "0") { Min = 0 },
        new("log.retention.ms", ConfigType.Long, null) { Min = -1, Dynamic = true },
        new("log.retention.minutes", ConfigType.Int, null) { Min = -1 },
        new("log.retention.hours", ConfigType.Int, "168") { Min = -1 },
        new("log.retention.bytes", ConfigType.Long, "-1") { Dynamic = true },
        new("log.retention.check.interval.ms", ConfigType.Long, "300000") { Min = 1 },
        new("log.cleanup.policy", ConfigType.List, "delete") { ValidValues = ["compact", "delete"], ListOfValidValues = true, Dynamic = true },
        new("log.flush.interval.messages", ConfigType.Long, LongMax) { Min = 1, Dynamic = true },
        new("log.flush.interval.ms", ConfigType.Long, null) { Min = 0, Dynamic = true },
        new("log.flush.scheduler.interval.ms", ConfigType.Long, LongMax),
        new("log.flush.offset.checkpoint.interval.ms", ConfigType.Int, "60000") { Min = 0 },
        new("log.flush.start.offset.checkpoint.interval.ms", ConfigType.Int, "60000") { Min = 0 },
        new("log.recovery.point.checkpoint.interval.ms", ConfigType.Int, "60000") { Min = 0 },
        new("log.index.interval.bytes", ConfigType.Int, "4096") { Min = 0, Dynamic = true },
        new("log.index.size.max.bytes", ConfigType.Int, "10485760") { Min = 4, Dynamic = true },
        new("log.preallocate", ConfigType.Boolean, "false") { Dynamic = true },
        new("log.segment.delete.delay.ms", ConfigType.Long, "60000") { Min = 0, Dynamic = true },
        new("log.message.timestamp.type", ConfigType.String, "CreateTime") { ValidValues = ["CreateTime", "LogAppendTime"], Dynamic = true },
        new("log.message.timestamp.before.max.ms", ConfigType.Long, LongMax) { Min = 0, Dynamic = true },
        new("log.message.timestamp.after.max.ms", ConfigType.Long, "3600000") { Min = 0, Dynamic = true },
        new("log.cleaner.enable", ConfigType.Boolean, "true"),
        new("log.cleaner.threads", ConfigType.Int, "1") { Min = 0, Dynamic = true },
        new("log.cleaner.dedupe.buffer.size", ConfigType.Long, "134217728") { Dynamic = true },
        new("log.cleaner.io.buffer.size", ConfigType.Int, "524288") { Min = 0, Dynamic = true },
        new("log.cleaner.io.buffer.load.factor", ConfigType.Double, "0.9") { Dynamic = true },
        new("log.cleaner.io.max.bytes.per.second", ConfigType.Double, "1.7976931348623157E308") { Dynamic = true },
        new("log.cleaner.backoff.ms", ConfigType.Long, "15000") { Min = 0, Dynamic = true },
        new("log.cleaner.min.cleanable.ratio", ConfigType.Double, "0.5") { Min = 0, Max = 1, Dynamic = true },
        new("log.cleaner.delete.retention.ms", ConfigType.Long, "86400000") { Min = 0, Dynamic = true },
        new("log.cleaner.min.compaction.lag.ms", ConfigType.Long, "0") { Min = 0, Dynamic = true },
        new("log.cleaner.max.compaction.lag.ms", ConfigType.Long, LongMax) { Min = 1, Dynamic = true },
        new("unclean.leader.election.enable", ConfigType.Boolean, "false") { Dynamic = true },
        new("offsets.topic.num.partitions", ConfigType.Int, "50") { Min = 1 },
        new("offsets.topic.replication.factor", ConfigType.Short, "3") { Min = 1 },
        new("offsets.topic.segment.bytes", ConfigType.Int, "104857600") { Min = 1 },
        new("offsets.retention.minutes", ConfigType.Int, "10080") { Min = 1 },
        new("offsets.retention.check.interval.ms", ConfigType.Long, "600000") { Min = 1 },
        new("offsets.commit.timeout.ms", ConfigType.Int, "5000") { Min = 1 },
        new("offset.metadata.max.bytes", ConfigType.Int, "4096"),
        new("transaction.state.log.num.partitions", ConfigType.Int, "50") { Min = 1 },
        new("transaction.state.log.replication.factor", ConfigType.Short, "3") { Min = 1 },
        new("transaction.state.log.min.isr", ConfigType.Int, "2") { Min = 1 },
        new("transactional.id.expiration.ms", ConfigType.Int, "604800000") { Min = 1 },
        new("producer.id.expiration.ms", ConfigType.Int, "86400000") { Min = -1, Dynamic = true },
        new("group.initial.rebalance.delay.ms", ConfigType.Int, "3000"),
        new("group.min.session.timeout.ms", ConfigType.Int, "6000"),
        new("group.max.session.timeout.ms", ConfigType.Int, "1800000"),
        new("group.max.size", ConfigType.Int, "2147483647") { Min = 1 },
        new("group.coordinator.rebalance.protocols", ConfigType.List, "classic,consumer"),
        new("group.consumer.session.timeout.ms", ConfigType.Int, "45000") { Min = 1 },
        new("group.consumer.heartbeat.interval.ms", ConfigType.Int, "5000") { Min = 1 },
        new("fetch.max.bytes", ConfigType.Int, "57671680") { Min = 1024 },
        new("replica.fetch.max.bytes", ConfigType.Int, "1048576") { Min = 0 },
        new("replica.lag.time.max.ms", ConfigType.Long, "30000") { Min = 1 },
        new("num.replica.fetchers", ConfigType.Int, "1") { Min = 1 },
        new("replica.fetch.wait.max.ms", ConfigType.Int, "500") { Min = 0 },
        new("replica.fetch.min.bytes", ConfigType.Int, "1") { Min = 1 },
        new("replica.fetch.backoff.ms", ConfigType.Int, "1000") { Min = 0 },
        new("replica.fetch.response.max.bytes", ConfigType.Int, "10485760") { Min = 0 },
        new("replica.socket.timeout.ms", ConfigType.Int, "30000"),
        new("request.timeout.ms", ConfigType.Int, "30000"),
        new("metadata.log.dir", ConfigType.String, null),
        new("auto.leader.rebalance.enable", ConfigType.Boolean, "true"),
        new("max.connections", ConfigType.Int, "2147483647") { Min = 0, Dynamic = true },
        new("max.incremental.fetch.session.cache.slots", ConfigType.Int, "1000") { Min = 0 },
    ];

    private static readonly Dictionary<string, ConfigKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>
    /// Broker keys that feed the same setting, highest precedence first (Kafka's synonyms), e.g. log.retention.ms,
    /// log.retention.minutes, log.retention.hours. A key without synonyms maps to itself.
    /// </summary>
    public static IReadOnlyList<string> Synonyms(string brokerName) => brokerName switch
    {
        "log.retention.ms" or "log.retention.minutes" or "log.retention.hours" => ["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
        "log.roll.ms" or "log.roll.hours" => ["log.roll.ms", "log.roll.hours"],
        "log.roll.jitter.ms" or "log.roll.jitter.hours" => ["log.roll.jitter.ms", "log.roll.jitter.hours"],
        "log.flush.interval.ms" => ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"],
        "log.dirs" or "log.dir" => ["log.dirs", "log.dir"],
        "node.id" or "broker.id" => ["node.id", "broker.id"],
        _ => [brokerName],
    };
}
