using System.Text.Json.Nodes;
using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Models;

/// <summary>The broker StatefulSet: ordinal = broker id, one volume per broker, rolled by the operator (OnDelete).</summary>
public static class StatefulSetModel
{
    public static JsonObject Build(KafkaCluster cluster, ClusterNames names, ModelOptions options, string configHash, int brokers)
    {
        var spec = cluster.Spec;
        var storage = spec.Storage;
        var podLabels = new Dictionary<string, string>(spec.Template?.Labels ?? [], StringComparer.Ordinal);
        foreach (var (k, v) in names.Labels())
        {
            podLabels[k] = v;
        }
        // The conventional scrape annotations (for Prometheus setups without the Prometheus Operator's PodMonitor);
        // the user's template annotations may override them.
        var podAnnotations = new Dictionary<string, string>(StringComparer.Ordinal);
        podAnnotations["prometheus.io/scrape"] = "true";
        podAnnotations["prometheus.io/port"] = ClusterNames.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        podAnnotations["prometheus.io/path"] = "/metrics";
        foreach (var (k, v) in spec.Template?.Annotations ?? [])
        {
            podAnnotations[k] = v;
        }
        podAnnotations[ClusterNames.ConfigHashAnnotation] = configHash;

        var volumes = new JsonArray(new JsonObject
        {
            ["name"] = "config",
            ["configMap"] = new JsonObject { ["name"] = names.ConfigMap },
        });
        if (storage is null)
        {
            volumes.Add(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        }

        var podSpec = new JsonObject
        {
            ["terminationGracePeriodSeconds"] = options.TerminationGracePeriodSeconds,
            ["securityContext"] = new JsonObject
            {
                ["runAsNonRoot"] = true,
                ["runAsUser"] = 1000,
                ["runAsGroup"] = 1000,
                ["fsGroup"] = 1000,
            },
            ["containers"] = new JsonArray(Container(spec, names, options)),
            ["volumes"] = volumes,
        };
        podSpec["affinity"] = spec.Template?.Affinity?.DeepClone() ?? DefaultAffinity(names);
        if (spec.Template?.Tolerations is { Count: > 0 } tolerations)
        {
            podSpec["tolerations"] = new JsonArray(tolerations.Select(t => (JsonNode)t.DeepClone()).ToArray());
        }
        if (spec.RackTopologyKey is { Length: > 0 } rackKey)
        {
            podSpec["topologySpreadConstraints"] = new JsonArray(new JsonObject
            {
                ["maxSkew"] = 1,
                ["topologyKey"] = rackKey,
                ["whenUnsatisfiable"] = "ScheduleAnyway",
                ["labelSelector"] = new JsonObject { ["matchLabels"] = ClusterModel.Map(names.SelectorLabels()) },
            });
        }

        var stsSpec = new JsonObject
        {
            ["replicas"] = brokers,
            ["serviceName"] = names.HeadlessService,
            // Brokers start together: with OrderedReady broker 0 would wait for a quorum that needs broker 1.
            ["podManagementPolicy"] = "Parallel",
            // The operator rolls pods itself, one at a time and only while the rest are Ready.
            ["updateStrategy"] = new JsonObject { ["type"] = "OnDelete" },
            ["selector"] = new JsonObject { ["matchLabels"] = ClusterModel.Map(names.SelectorLabels()) },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["labels"] = ClusterModel.Map(podLabels),
                    ["annotations"] = ClusterModel.Map(podAnnotations),
                },
                ["spec"] = podSpec,
            },
        };
        if (storage is not null)
        {
            var claimSpec = new JsonObject
            {
                ["accessModes"] = new JsonArray("ReadWriteOnce"),
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = storage.Size } },
            };
            if (storage.StorageClassName is { Length: > 0 } sc)
            {
                claimSpec["storageClassName"] = sc;
            }
            stsSpec["volumeClaimTemplates"] = new JsonArray(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "data", ["labels"] = ClusterModel.Map(names.Labels()) },
                ["spec"] = claimSpec,
            });
            stsSpec["persistentVolumeClaimRetentionPolicy"] = new JsonObject
            {
                ["whenDeleted"] = storage.DeleteClaim ? "Delete" : "Retain",
                ["whenScaled"] = "Retain",
            };
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "StatefulSet",
            ["metadata"] = ClusterModel.Metadata(cluster, names, names.StatefulSet),
            ["spec"] = stsSpec,
        };
    }

    private static JsonObject Container(KafkaClusterSpec spec, ClusterNames names, ModelOptions options)
    {
        // metrics.port is the operator's (the readiness probe asks the broker's /ready there), always 9404; named
        // `metrics`: config/monitoring's PodMonitor scrapes the port by this name.
        var ports = new JsonArray(
            new JsonObject { ["name"] = "kafka", ["containerPort"] = ClusterNames.KafkaPort, ["protocol"] = "TCP" },
            new JsonObject { ["name"] = "controller", ["containerPort"] = ClusterNames.ControllerPort, ["protocol"] = "TCP" },
            new JsonObject { ["name"] = "metrics", ["containerPort"] = ClusterNames.MetricsPort, ["protocol"] = "TCP" });
        var container = new JsonObject
        {
            ["name"] = "kafka",
            ["image"] = spec.Image ?? options.DefaultBrokerImage,
            ["command"] = new JsonArray("/bin/sh", $"{ClusterNames.ConfigPath}/run.sh"),
            ["env"] = new JsonArray(FieldEnv("POD_NAME", "metadata.name"), FieldEnv("POD_NAMESPACE", "metadata.namespace")),
            ["ports"] = ports,
            // Ready = registered with the controller at the current epoch, caught up and unfenced (Kafka's RUNNING
            // broker state), not merely listening: the roll waits on it before the next broker.
            ["readinessProbe"] = new JsonObject
            {
                ["httpGet"] = new JsonObject { ["path"] = ClusterNames.ReadyPath, ["port"] = ClusterNames.MetricsPort },
                ["initialDelaySeconds"] = 5,
                ["periodSeconds"] = 5,
                ["failureThreshold"] = 3,
            },
            ["livenessProbe"] = new JsonObject
            {
                ["tcpSocket"] = new JsonObject { ["port"] = ClusterNames.KafkaPort },
                ["initialDelaySeconds"] = 60,
                ["periodSeconds"] = 10,
                ["failureThreshold"] = 6,
            },
            ["securityContext"] = new JsonObject
            {
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            },
            ["volumeMounts"] = new JsonArray(
                new JsonObject { ["name"] = "config", ["mountPath"] = ClusterNames.ConfigPath, ["readOnly"] = true },
                new JsonObject { ["name"] = "data", ["mountPath"] = ClusterNames.DataPath }),
        };
        if (spec.Resources is not null)
        {
            container["resources"] = spec.Resources.DeepClone();
        }
        return container;
    }

    private static JsonObject FieldEnv(string name, string path) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } },
    };

    // Prefer one broker per node so a node failure costs at most one replica of each partition.
    private static JsonObject DefaultAffinity(ClusterNames names) => new()
    {
        ["podAntiAffinity"] = new JsonObject
        {
            ["preferredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
            {
                ["weight"] = 100,
                ["podAffinityTerm"] = new JsonObject
                {
                    ["topologyKey"] = "kubernetes.io/hostname",
                    ["labelSelector"] = new JsonObject { ["matchLabels"] = ClusterModel.Map(names.SelectorLabels()) },
                },
            }),
        },
    };
}
