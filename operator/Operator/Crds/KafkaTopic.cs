using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace KafkaOperator.Operator.Crds;

[KubernetesEntity(Group = CrdGroup.Group, ApiVersion = CrdGroup.Version, Kind = "KafkaTopic", PluralName = "kafkatopics")]
[Crd("kafkatopic", "KafkaTopicList", ShortNames = ["kt"], Categories = ["kafka"])]
[PrinterColumn(1, "Cluster", "string", ".spec.cluster")]
[PrinterColumn(2, "Partitions", "integer", ".spec.partitions")]
[PrinterColumn(3, "RF", "integer", ".spec.replicationFactor", Description = "Replication factor")]
[PrinterColumn(4, "In-Sync", "string", ".status.inSyncPartitions", Description = "Partitions fully in sync / all partitions")]
[PrinterColumn(5, "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status")]
[PrinterColumn(6, "Age", "date", ".metadata.creationTimestamp")]
[Doc("A Kafka topic in a KafkaCluster of the same namespace, managed through the Kafka admin API.")]
public sealed class KafkaTopic() : CustomResource("KafkaTopic")
{
    [RequiredField] public KafkaTopicSpec Spec { get; set; } = new();
    public KafkaTopicStatus? Status { get; set; }

    /// <summary>The Kafka topic name: spec.topicName, else metadata.name.</summary>
    [JsonIgnore] public string TopicName => Spec.TopicName ?? Metadata.Name ?? "";
}

[CelRule("has(self.topicName) == has(oldSelf.topicName)", "topicName cannot be added or removed after creation")]
public sealed class KafkaTopicSpec
{
    [RequiredField, MaxLength(253), CelRule("self == oldSelf", "cluster is immutable"), Doc("Name of the KafkaCluster (same namespace).")]
    public string Cluster { get; set; } = "";

    [MaxLength(249), Pattern(@"^[a-zA-Z0-9._-]+$"), CelRule("self == oldSelf", "topicName is immutable")]
    [Doc("Kafka topic name when it differs from metadata.name (Kafka allows '_' and uppercase, Kubernetes names do not).")]
    public string? TopicName { get; set; }

    [RequiredField, Minimum(1), CelRule("self >= 1", "partitions must be at least 1"), CelRule("self >= oldSelf", "partitions can only be increased")]
    public int Partitions { get; set; } = 1;

    [RequiredField, Minimum(1), CelRule("self >= 1 && self <= 32767", "replicationFactor must be from 1 to 32767")]
    [Doc("Replicas per partition. A change is made by reassigning the partitions (replicas added or removed); more than the cluster's brokers is refused (Ready=False, InvalidReplicationFactor).")]
    public int ReplicationFactor { get; set; } = 1;

    [Doc("Topic configuration (cleanup.policy, retention.ms, ...). Changes made outside the operator are reverted.")]
    public Dictionary<string, string>? Config { get; set; }

    [Minimum(1), CelRule("self >= 1 && self <= 100", "keySkewThreshold is a percentage, 1 to 100")]
    [Doc("Percent of the topic's recent records one key may carry before the KeySkew condition turns True (default 70).")]
    public int? KeySkewThreshold { get; set; }

    [DefaultValue("\"Delete\""), Doc("Delete: deleting the resource deletes the topic. Retain: the topic and its data are kept.")]
    public DeletionPolicy DeletionPolicy { get; set; } = DeletionPolicy.Delete;
}

[JsonConverter(typeof(JsonStringEnumConverter<DeletionPolicy>))]
public enum DeletionPolicy
{
    Delete,
    Retain,
}

public sealed class KafkaTopicStatus
{
    public List<StatusCondition> Conditions { get; set; } = [];
    public long? ObservedGeneration { get; set; }
    public string? TopicId { get; set; }
    public int? Partitions { get; set; }
    [Doc("The replication factor the brokers report (a reassignment's target while one runs).")]
    public int? ReplicationFactor { get; set; }
    [Doc("Partitions whose every replica is in the ISR, over all partitions, e.g. 12/12.")]
    public string? InSyncPartitions { get; set; }
    [Doc("Numbers of the partitions not fully in sync (a replica out of the ISR, being added, or no leader).")]
    public List<int>? UnderReplicatedPartitions { get; set; }
    public string? Message { get; set; }
}
