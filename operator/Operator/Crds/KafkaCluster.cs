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

public sealed class KafkaClusterSpec
{
    // Every broker is a voter of the metadata quorum, and the brokers cannot change a running quorum's voter set yet
    // (new empty voters could elect a leader among themselves and truncate the existing metadata log).
    [RequiredField, Minimum(1), CelRule("self >= 1", "replicas must be at least 1")]
    [CelRule("self == oldSelf", "replicas cannot change yet: the brokers' metadata quorum has a fixed voter set (scaling is not supported in this version)")]
    [Doc("Number of brokers, fixed after creation (every broker is a metadata quorum voter and the voter set cannot change yet). Broker ids are the StatefulSet ordinals 0..replicas-1.")]
    public int Replicas { get; set; } = 3;

    [Doc("Broker container image; defaults to the operator's configured broker image.")]
    public string? Image { get; set; }

    [Doc("Kafka broker configuration (server.properties keys). Keys that define identity, listeners or storage are managed by the operator and rejected.")]
    [ForbiddenKeys("broker.id", "node.id", "listeners", "advertised.listeners", "log.dirs", "log.dir", "process.roles",
        "controller.quorum.voters", "controller.listener.names", "listener.security.protocol.map", "inter.broker.listener.name", "cluster.id")]
    public Dictionary<string, string>? Config { get; set; }

    [Doc("Persistent storage per broker; without it brokers use an emptyDir and lose their data with the pod.")]
    public KafkaStorage? Storage { get; set; }

    [PreserveUnknownFields, Doc("Container resources (requests/limits), as in a Pod spec.")]
    public JsonObject? Resources { get; set; }

    [Doc("Node label (e.g. topology.kubernetes.io/zone) across which brokers are spread.")]
    public string? RackTopologyKey { get; set; }

    [Doc("Customisation of the broker pods.")]
    public PodTemplate? Template { get; set; }

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

public sealed class PodTemplate
{
    [PreserveUnknownFields] public JsonObject? Affinity { get; set; }
    [PreserveUnknownFields] public List<JsonObject>? Tolerations { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

public sealed class KafkaClusterStatus
{
    public List<StatusCondition> Conditions { get; set; } = [];
    public long? ObservedGeneration { get; set; }
    public int ReadyBrokers { get; set; }
    public List<BrokerStatus>? Brokers { get; set; }
    public string? BootstrapServers { get; set; }
    public string? ClusterId { get; set; }
}

public sealed class BrokerStatus
{
    [RequiredField] public int Id { get; set; }
    public string? Pod { get; set; }
    public bool Ready { get; set; }
    public string? Phase { get; set; }
    [Doc("False while the pod still runs a previous configuration revision and waits to be rolled.")]
    public bool UpToDate { get; set; }
}
