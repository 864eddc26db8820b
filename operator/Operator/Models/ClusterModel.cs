using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Models;

/// <summary>Pure functions from a KafkaCluster to the Kubernetes objects that run it (Strimzi's "model" layer).</summary>
public static class ClusterModel
{
    /// <summary>Everything the cluster needs, in apply order (config before the pods that mount it).</summary>
    public static IReadOnlyList<DesiredObject> Build(KafkaCluster cluster, ModelOptions options)
    {
        var names = new ClusterNames(cluster);
        var configMap = BrokerConfigMap(cluster, names);
        var objects = new List<DesiredObject>
        {
            DesiredObject.Of<V1ConfigMap>(configMap),
            DesiredObject.Of<V1Service>(HeadlessService(cluster, names)),
            DesiredObject.Of<V1Service>(BootstrapService(cluster, names)),
            DesiredObject.Of<V1StatefulSet>(StatefulSetModel.Build(cluster, names, options, ConfigHash(configMap))),
        };
        // A budget over a single broker would only block node drains without protecting anything.
        objects.Add(cluster.Spec.Replicas > 1
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

    public static JsonObject BrokerConfigMap(KafkaCluster cluster, ClusterNames names) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = Metadata(cluster, names, names.ConfigMap),
        ["data"] = new JsonObject
        {
            ["server.properties"] = ServerProperties(cluster, names),
            ["run.sh"] = RunScript(names),
        },
    };

    /// <summary>Shared broker configuration; per-broker values are added by run.sh from the pod's ordinal.</summary>
    public static string ServerProperties(KafkaCluster cluster, ClusterNames names)
    {
        var replicas = cluster.Spec.Replicas;
        // Replicated by default as far as the cluster allows (Kafka's default for internal topics is 3, more than a
        // small cluster has). The user may still override them (a factor above the broker count is then refused).
        var rf = Math.Clamp(replicas, 1, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        var voters = string.Join(",", Enumerable.Range(0, replicas).Select(i => $"{i}@{names.PodHost(i)}:{ClusterNames.ControllerPort}"));
        var owned = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cluster.id"] = ClusterNames.ClusterId(cluster),
            ["controller.listener.names"] = "CONTROLLER",
            ["controller.quorum.voters"] = voters,
            ["inter.broker.listener.name"] = "PLAINTEXT",
            ["listener.security.protocol.map"] = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            ["listeners"] = $"PLAINTEXT://0.0.0.0:{ClusterNames.KafkaPort},CONTROLLER://0.0.0.0:{ClusterNames.ControllerPort}",
            ["log.dirs"] = ClusterNames.DataPath,
            ["process.roles"] = "broker,controller",
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

    public static string RunScript(ClusterNames names) =>
        "#!/bin/sh\n" +
        "# The broker id is the StatefulSet ordinal, read from the pod name (<cluster>-broker-<ordinal>).\n" +
        "set -eu\n" +
        "ordinal=\"${POD_NAME##*-}\"\n" +
        $"exec /app/KafkaOperator.Server {ClusterNames.ConfigPath}/server.properties \\\n" +
        "  --override node.id=\"$ordinal\" \\\n" +
        $"  --override advertised.listeners=\"PLAINTEXT://$POD_NAME.{names.HeadlessService}.$POD_NAMESPACE.svc.cluster.local:{ClusterNames.KafkaPort}\"\n";

    /// <summary>Hash of the rendered configuration; stored on the pod template so a change rolls the brokers.</summary>
    public static string ConfigHash(JsonObject configMap)
    {
        var data = configMap["data"]!.ToJsonString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(data)))[..16];
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
