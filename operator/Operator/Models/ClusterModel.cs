using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Models;

/// <summary>
/// How many brokers the StatefulSet runs and how many of them (the lowest ordinals) are metadata quorum voters. The
/// reconciler decides it: the spec's, except while a scale-down drains the brokers being removed (the StatefulSet
/// keeps them until they hold no replicas) or the voter count of a running cluster differs from a changed spec.
/// </summary>
public sealed record ClusterShape(int Brokers, int Controllers)
{
    public static ClusterShape Of(KafkaCluster cluster) => new(cluster.Spec.Replicas, cluster.Spec.DefaultControllers);
}

/// <summary>Pure functions from a KafkaCluster to the Kubernetes objects that run it (Strimzi's "model" layer).</summary>
public static class ClusterModel
{
    /// <summary>Everything the cluster needs, in apply order (config before the pods that mount it).</summary>
    public static IReadOnlyList<DesiredObject> Build(KafkaCluster cluster, ModelOptions options, ClusterShape? shape = null)
    {
        shape ??= ClusterShape.Of(cluster);
        var names = new ClusterNames(cluster);
        var configMap = BrokerConfigMap(cluster, names, shape);
        var objects = new List<DesiredObject>
        {
            DesiredObject.Of<V1ConfigMap>(configMap),
            DesiredObject.Of<V1Service>(HeadlessService(cluster, names)),
            DesiredObject.Of<V1Service>(BootstrapService(cluster, names)),
            DesiredObject.Of<V1StatefulSet>(StatefulSetModel.Build(cluster, names, options, RestartHash(cluster, shape), shape.Brokers)),
        };
        // A budget over a single broker would only block node drains without protecting anything.
        objects.Add(shape.Brokers > 1
            ? DesiredObject.Of<V1PodDisruptionBudget>(DisruptionBudget(cluster, names))
            : DesiredObject.AbsentOf<V1PodDisruptionBudget>(names.PodDisruptionBudget, "PodDisruptionBudget"));
        return objects;
    }

    /// <summary>Operator-owned keys the user tried to set (admission normally rejects them already).</summary>
    public static IReadOnlyList<string> ForbiddenConfigKeys(KafkaCluster cluster) =>
        cluster.Spec.Config?.Keys.Where(k => KafkaClusterSpec.OperatorOwnedKeys.Contains(k)).Order(StringComparer.Ordinal).ToList() ?? [];

    internal static JsonObject Metadata(KafkaCluster cluster, ClusterNames names, string name, Dictionary<string, string>? labels = null)
    {
        var meta = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = names.Namespace,
            ["labels"] = Map(labels ?? names.Labels()),
            ["ownerReferences"] = new JsonArray(OwnerReference(cluster)),
        };
        return meta;
    }

    internal static JsonObject OwnerReference(IKubernetesObject<V1ObjectMeta> owner) => new()
    {
        ["apiVersion"] = owner.ApiVersion,
        ["kind"] = owner.Kind,
        ["name"] = owner.Metadata.Name,
        ["uid"] = owner.Metadata.Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    internal static JsonObject Map(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obj[k] = v;
        }
        return obj;
    }

    public static JsonObject BrokerConfigMap(KafkaCluster cluster, ClusterNames names, ClusterShape? shape = null)
    {
        shape ??= ClusterShape.Of(cluster);
        return new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = Metadata(cluster, names, names.ConfigMap),
            ["data"] = new JsonObject
            {
                ["server.properties"] = ServerProperties(cluster, names, shape),
                ["run.sh"] = RunScript(names, shape),
            },
        };
    }

    /// <summary>Shared broker configuration; per-broker values are added by run.sh from the pod's ordinal.</summary>
    public static string ServerProperties(KafkaCluster cluster, ClusterNames names, ClusterShape? shape = null)
    {
        shape ??= ClusterShape.Of(cluster);
        // Replicated by default as far as the cluster allows (Kafka's default for internal topics is 3, more than a
        // small cluster has). The user may still override them (a factor above the broker count is then refused).
        var rf = Math.Clamp(shape.Brokers, 1, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var props = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["default.replication.factor"] = rf,
            ["offsets.topic.replication.factor"] = rf,
            ["transaction.state.log.replication.factor"] = rf,
        };
        foreach (var (k, v) in cluster.Spec.Config ?? [])
        {
            if (!KafkaClusterSpec.OperatorOwnedKeys.Contains(k))
            {
                props[k] = v;
            }
        }
        var voters = string.Join(",", Enumerable.Range(0, shape.Controllers).Select(i => $"{i}@{names.PodHost(i)}:{ClusterNames.ControllerPort}"));
        var owned = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cluster.id"] = ClusterNames.ClusterId(cluster),
            ["controller.listener.names"] = "CONTROLLER",
            ["controller.quorum.voters"] = voters,
            ["inter.broker.listener.name"] = "PLAINTEXT",
            ["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            ["log.dirs"] = ClusterNames.DataPath,
            ["metrics.port"] = ClusterNames.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var sb = new StringBuilder();
        sb.Append("# Managed by kafka-operator; edit spec.config of KafkaCluster ").Append(names.Cluster).Append(" instead.\n");
        foreach (var (k, v) in props)
        {
            sb.Append(k).Append('=').Append(v).Append('\n');
        }
        sb.Append("# operator-owned\n");
        foreach (var (k, v) in owned)
        {
            sb.Append(k).Append('=').Append(v).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The broker id is the StatefulSet ordinal; ordinals below the controller count are combined broker+controller
    /// nodes (voters), the rest broker-only, which as in Kafka must not listen on the controller listener.
    /// </summary>
    public static string RunScript(ClusterNames names, ClusterShape shape) =>
        "#!/bin/sh\n" +
        "# The broker id is the StatefulSet ordinal, read from the pod name (<cluster>-broker-<ordinal>).\n" +
        "set -eu\n" +
        "ordinal=\"${POD_NAME##*-}\"\n" +
        $"if [ \"$ordinal\" -lt {shape.Controllers} ]; then\n" +
        "  roles=broker,controller\n" +
        $"  listeners=\"PLAINTEXT://0.0.0.0:{ClusterNames.KafkaPort},CONTROLLER://0.0.0.0:{ClusterNames.ControllerPort}\"\n" +
        "else\n" +
        "  roles=broker\n" +
        $"  listeners=\"PLAINTEXT://0.0.0.0:{ClusterNames.KafkaPort}\"\n" +
        "fi\n" +
        $"exec /app/KafkaOperator.Server {ClusterNames.ConfigPath}/server.properties \\\n" +
        "  --override node.id=\"$ordinal\" \\\n" +
        "  --override process.roles=\"$roles\" \\\n" +
        "  --override listeners=\"$listeners\" \\\n" +
        $"  --override advertised.listeners=\"PLAINTEXT://$POD_NAME.{names.HeadlessService}.$POD_NAMESPACE.svc.cluster.local:{ClusterNames.KafkaPort}\"\n";

    /// <summary>
    /// Hash of what a running broker only picks up at start: the static keys of server.properties, run.sh and the
    /// restart annotation. Stored on the pod template, so a change rolls the brokers. Left out: dynamic keys (applied
    /// with IncrementalAlterConfigs instead) and the replication factor defaults derived from the broker count (a
    /// scale would otherwise restart every broker; they apply to each broker from its next start).
    /// </summary>
    public static string RestartHash(KafkaCluster cluster, ClusterShape shape)
    {
        var names = new ClusterNames(cluster);
        var derived = new[] { "default.replication.factor", "offsets.topic.replication.factor", "transaction.state.log.replication.factor" }
            .Where(k => cluster.Spec.Config?.ContainsKey(k) != true).ToHashSet(StringComparer.Ordinal);
        var properties = ServerProperties(cluster, names, shape).Split('\n')
            .Where(line => line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 && !derived.Contains(line[..eq]) && !DynamicConfig.IsDynamic(line[..eq]));
        var input = string.Join('\n', properties) + "\n--\n" + RunScript(names, shape) + "\n--\n"
            + (cluster.Metadata.Annotations?.TryGetValue(ClusterNames.RestartAnnotation, out var restart) == true ? restart : "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))[..16];
    }

    public static JsonObject HeadlessService(KafkaCluster cluster, ClusterNames names) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = Metadata(cluster, names, names.HeadlessService),
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = "None",
            // Brokers must resolve each other before they are Ready, or the controller quorum never forms.
            ["publishNotReadyAddresses"] = true,
            ["selector"] = Map(names.SelectorLabels()),
            ["ports"] = new JsonArray(Port("kafka", ClusterNames.KafkaPort), Port("controller", ClusterNames.ControllerPort)),
        },
    };

    public static JsonObject BootstrapService(KafkaCluster cluster, ClusterNames names) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = Metadata(cluster, names, names.BootstrapService),
        ["spec"] = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["selector"] = Map(names.SelectorLabels()),
            ["ports"] = new JsonArray(Port("kafka", ClusterNames.KafkaPort)),
        },
    };

    public static JsonObject DisruptionBudget(KafkaCluster cluster, ClusterNames names) => new()
    {
        ["apiVersion"] = "policy/v1",
        ["kind"] = "PodDisruptionBudget",
        ["metadata"] = Metadata(cluster, names, names.PodDisruptionBudget),
        ["spec"] = new JsonObject
        {
            ["maxUnavailable"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = Map(names.SelectorLabels()) },
        },
    };

    private static JsonObject Port(string name, int port) => new()
    {
        ["name"] = name,
        ["port"] = port,
        ["targetPort"] = port,
        ["protocol"] = "TCP",
    };
}
