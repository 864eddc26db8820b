using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace KafkaOperator.Operator.Crds;

[KubernetesEntity(Group = CrdGroup.Group, ApiVersion = CrdGroup.Version, Kind = "KafkaCluster", PluralName = "kafkaclusters")]
[Crd("kafkacluster", "KafkaClusterList", ShortNames = ["kc"], Categories = ["kafka"])]
[PrinterColumn(1, "Brokers", "integer", ".spec.replicas", Description = "Desired number of brokers")]
[PrinterColumn(2, "ReadyBrokers", "integer", ".status.readyBrokers", Description = "Brokers whose pod is Ready")]
[PrinterColumn(3, "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status")]
[PrinterColumn(4, "Bootstrap", "string", ".status.bootstrapServers")]
[PrinterColumn(5, "Age", "date", ".metadata.creationTimestamp")]
[Doc("A Kafka cluster run by the operator: a StatefulSet of brokers with stable identities and storage.")]
public sealed class KafkaCluster() : CustomResource("KafkaCluster")
{
    [RequiredField] public KafkaClusterSpec Spec { get; set; } = new();
    public KafkaClusterStatus? Status { get; set; }
}

[CelRule("!has(self.controllers) || self.replicas >= self.controllers", "replicas must be at least controllers: a controller (voter) ordinal is never removed")]
public sealed class KafkaClusterSpec
{
    [RequiredField, Minimum(1), CelRule("self >= 1", "replicas must be at least 1")]
    [Doc("Number of brokers. Broker ids are the StatefulSet ordinals 0..replicas-1; ordinals below controllers are combined broker+controller nodes (the metadata quorum's voters), the rest broker-only. It can grow (new brokers receive partitions from a throttled rebalance) and shrink (the brokers removed are drained first) but never below controllers.")]
    public int Replicas { get; set; } = 3;

    [CelRule("self == 1 || self == 3 || self == 5", "controllers must be 1, 3 or 5")]
    [CelRule("self == oldSelf", "controllers cannot change: the metadata quorum's voter set is fixed at creation")]
    [Doc("Number of metadata quorum voters (1, 3 or 5), fixed at creation: ordinals 0..controllers-1 run process.roles=broker,controller, the others process.roles=broker. Defaults to min(replicas, 3).")]
    public int? Controllers { get; set; }

    [Doc("Automatic rebalancing after a scale-up, and the throttle of the reassignments the operator runs (scale-up rebalance, scale-down drain, replication factor changes).")]
    public RebalanceSpec? Rebalance { get; set; }

    [Doc("Broker container image; defaults to the operator's configured broker image.")]
    public string? Image { get; set; }

    [Doc("Kafka broker configuration (server.properties keys). Keys that define identity, listeners or storage are managed by the operator and rejected.")]
    [ForbiddenKeys("broker.id", "node.id", "listeners", "advertised.listeners", "log.dirs", "log.dir", "process.roles",
        "controller.quorum.voters", "controller.listener.names", "listener.security.protocol.map", "inter.broker.listener.name", "cluster.id", "metrics.port")]
    public Dictionary<string, string>? Config { get; set; }

    [Doc("Persistent storage per broker; without it brokers use an emptyDir and lose their data with the pod.")]
    public KafkaStorage? Storage { get; set; }

    [PreserveUnknownFields, Doc("Container resources (requests/limits), as in a Pod spec.")]
    public JsonObject? Resources { get; set; }

    [Doc("Node label (e.g. topology.kubernetes.io/zone) across which brokers are spread.")]
    public string? RackTopologyKey { get; set; }

    [Doc("Customisation of the broker pods.")]
    public PodTemplate? Template { get; set; }

    /// <summary>The voter count a new cluster gets: spec.controllers, else min(replicas, 3) (Kafka's usual quorum size).</summary>
    public int DefaultControllers => Controllers ?? Math.Clamp(Replicas, 1, 3);

    public static IReadOnlyList<string> OperatorOwnedKeys { get; } =
        typeof(KafkaClusterSpec).GetProperty(nameof(Config))!.GetCustomAttribute<ForbiddenKeysAttribute>()!.Keys;
}

public sealed class KafkaStorage
{
    [RequiredField, Pattern(@"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"), Doc("Volume size per broker, e.g. 10Gi.")]
    public string Size { get; set; } = "10Gi";

    public string? StorageClassName { get; set; }

    [DefaultValue("false"), Doc("Delete the brokers' PersistentVolumeClaims when the cluster is deleted.")]
    public bool DeleteClaim { get; set; }
}

public sealed class RebalanceSpec
{
    [DefaultValue("true"), Doc("Rebalance partitions onto new brokers after a scale-up (true by default). Scale-down drains always run.")]
    public bool Enabled { get; set; } = true;

    [Minimum(1), Doc("Replication throttle in bytes per second for the operator's reassignments (leader.replication.throttled.rate and follower.replication.throttled.rate on the brokers involved); unset = unthrottled.")]
    public long? ThrottleBytesPerSecond { get; set; }
}

public sealed class PodTemplate
{
    [PreserveUnknownFields] public JsonObject? Affinity { get; set; }
    [PreserveUnknownFields] public List<JsonObject>? Tolerations { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}
