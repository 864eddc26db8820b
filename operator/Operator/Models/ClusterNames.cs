using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Models;

/// <summary>Names, labels and addresses derived from a KafkaCluster; the one place that decides them.</summary>
public sealed class ClusterNames
{
    public const int KafkaPort = 9092;
    public const int ControllerPort = 9093;
    public const string DataPath = "/var/lib/kafka/data";
    public const string ConfigPath = "/etc/kafka";
    public const string ConfigHashAnnotation = CrdGroup.Group + "/config-hash";
    public const int MetricsPort = 9404; // the broker's default metrics.port, set by the operator (/ready is there)
    public const string ReadyPath = "/ready";

    /// <summary>On a KafkaCluster: a new value rolls every broker once (e.g. a timestamp).</summary>
    public const string RestartAnnotation = CrdGroup.Group + "/restart";

    /// <summary>On a KafkaCluster: "true" publishes the plan in status.plan without acting on it.</summary>
    public const string DryRunAnnotation = CrdGroup.Group + "/dry-run";

    public ClusterNames(KafkaCluster cluster)
    {
        Cluster = cluster.Metadata.Name ?? throw new ArgumentException("KafkaCluster has no metadata.name");
        Namespace = cluster.Metadata.NamespaceProperty ?? "default";
    }

    public string Cluster { get; }
    public string Namespace { get; }
    public string StatefulSet => Cluster + "-broker";
    public string HeadlessService => Cluster + "-brokers";
    public string BootstrapService => Cluster + "-bootstrap";
    public string ConfigMap => Cluster + "-config";
    public string PodDisruptionBudget => Cluster + "-broker";

    public string PodName(int ordinal) => $"{StatefulSet}-{ordinal}";

    public string PodHost(int ordinal) => $"{PodName(ordinal)}.{HeadlessService}.{Namespace}.svc.cluster.local";

    public string BootstrapServers => $"{BootstrapService}.{Namespace}.svc:{KafkaPort}";

    /// <summary>Labels that select the broker pods; user labels can never override them.</summary>
    public Dictionary<string, string> SelectorLabels() => new(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = "kafka",
        ["app.kubernetes.io/instance"] = Cluster,
        ["app.kubernetes.io/component"] = "broker",
    };

    public Dictionary<string, string> Labels()
    {
        var labels = SelectorLabels();
        labels["app.kubernetes.io/managed-by"] = "kafka-operator";
        return labels;
    }

    public string LabelSelector() => string.Join(",", SelectorLabels().Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>Kafka's cluster id format (22 chars, base64url of 16 bytes), stable for the resource's lifetime.</summary>
    public static string ClusterId(KafkaCluster cluster)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (Guid.TryParse(cluster.Metadata.Uid, out var uid))
        {
            uid.TryWriteBytes(bytes, bigEndian: true, out _);
        }
        else
        {
            var hash = System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes($"{cluster.Metadata.NamespaceProperty}/{cluster.Metadata.Name}"));
            hash.AsSpan(0, 16).CopyTo(bytes);
        }
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
