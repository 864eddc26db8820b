namespace KafkaOperator.Operator.Crds;

public sealed class KafkaClusterStatus
{
    public List<StatusCondition> Conditions { get; set; } = [];
    public long? ObservedGeneration { get; set; }
    public int ReadyBrokers { get; set; }
    [Doc("The metadata quorum's voter count in use (ordinals 0..controllers-1).")]
    public int? Controllers { get; set; }
    public List<BrokerStatus>? Brokers { get; set; }
    public string? BootstrapServers { get; set; }
    public string? ClusterId { get; set; }
    [Doc("How each spec.config key was applied: dynamically (IncrementalAlterConfigs, no restart) or by a roll.")]
    public ConfigApplyStatus? Config { get; set; }
    [Doc("The rolling restart in progress: which broker, since when, and what it waits on.")]
    public RollStatus? Roll { get; set; }
    [Doc("Replication and quorum health as the brokers report it.")]
    public KafkaHealthStatus? Kafka { get; set; }
    [Doc("The last rebalance (scale-up, scale-down drain or replication factor change) and its progress or result.")]
    public RebalanceStatus? Rebalance { get; set; }
    [Doc("With the dry-run annotation: what the operator would do, without doing it.")]
    public PlanStatus? Plan { get; set; }
}

public sealed class BrokerStatus
{
    [RequiredField] public int Id { get; set; }
    public string? Pod { get; set; }
    public bool Ready { get; set; }
    public string? Phase { get; set; }
    [Doc("False while the pod still runs a previous configuration revision and waits to be rolled.")]
    public bool UpToDate { get; set; }
    [Doc("broker,controller (a voter) or broker.")]
    public string? Roles { get; set; }
    [Doc("Partitions this broker leads.")]
    public int? Leaders { get; set; }
    [Doc("Partition replicas this broker holds.")]
    public int? Replicas { get; set; }
}

public sealed class ConfigApplyStatus
{
    [Doc("Keys applied with IncrementalAlterConfigs to the cluster-wide default broker config, without a restart.")]
    public List<string> Dynamic { get; set; } = [];
    [Doc("Keys in server.properties; a change rolls the brokers.")]
    public List<string> Restart { get; set; } = [];
}

public sealed class RollStatus
{
    [Doc("The broker restarted last, or being restarted.")]
    public int? Broker { get; set; }
    public string? Pod { get; set; }
    [System.Text.Json.Serialization.JsonConverter(typeof(RfcTimeConverter))]
    public DateTimeOffset? StartedAt { get; set; }
    [Doc("What the roll waits on now.")]
    public string? Waiting { get; set; }
    [Doc("Brokers still to roll, in order (the active controller last).")]
    public List<int>? Pending { get; set; }
}

public sealed class KafkaHealthStatus
{
    public int? ActiveController { get; set; }
    public int? QuorumLeader { get; set; }
    public List<VoterStatus>? Voters { get; set; }
    public int UnderReplicatedPartitions { get; set; }
    public int UnderMinIsrPartitions { get; set; }
    public int OfflinePartitions { get; set; }
    [Doc("Partitions whose leader is not their preferred (first) replica.")]
    public int PreferredLeaderImbalance { get; set; }
    public int Partitions { get; set; }
}

public sealed class VoterStatus
{
    [RequiredField] public int Id { get; set; }
    [Doc("Metadata log entries behind the leader's high watermark (-1 unknown).")]
    public long Lag { get; set; }
}

public sealed class RebalanceStatus
{
    [Doc("ScaleUp, ScaleDown or ReplicationFactor.")]
    public string? Kind { get; set; }
    [Doc("Pending (new brokers not Ready yet), Running, Completed, Skipped (spec.rebalance.enabled false) or Failed.")]
    public string? State { get; set; }
    [System.Text.Json.Serialization.JsonConverter(typeof(RfcTimeConverter))]
    public DateTimeOffset? StartedAt { get; set; }
    [System.Text.Json.Serialization.JsonConverter(typeof(RfcTimeConverter))]
    public DateTimeOffset? FinishedAt { get; set; }
    [Doc("The brokers added (scale-up) or removed (scale-down).")]
    public List<int>? Brokers { get; set; }
    public int PartitionsMoved { get; set; }
    public int PartitionsLeft { get; set; }
    public long BytesLeft { get; set; }
    public string? Message { get; set; }
}

public sealed class PlanStatus
{
    [Doc("Pods that would be restarted, in order.")]
    public List<string> Roll { get; set; } = [];
    [Doc("Keys that would be applied dynamically (set or removed).")]
    public List<string> DynamicConfig { get; set; } = [];
    [Doc("Partition moves that would run, as topic-partition: [old] -> [new].")]
    public List<string> Moves { get; set; } = [];
    [Doc("The StatefulSet's broker count that would result.")]
    public int Brokers { get; set; }
    public string? Message { get; set; }
}
