using System.Text.Json.Nodes;
using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Tests.Support;

public static class Samples
{
    public static KafkaCluster Cluster(string name = "demo", int replicas = 3, string ns = "kafka")
    {
        var c = new KafkaCluster { Spec = new KafkaClusterSpec { Replicas = replicas } };
        c.Metadata.Name = name;
        c.Metadata.NamespaceProperty = ns;
        c.Metadata.Uid = "5f0c6d2e-8a43-4b1e-9c77-0d1f2a3b4c5d";
        return c;
    }

    public static KafkaCluster FullCluster()
    {
        var c = Cluster("prod", 5);
        c.Spec.Image = "registry.example.com/kafka-broker:1.2.3";
        c.Spec.Config = new() { ["num.partitions"] = "6", ["log.retention.hours"] = "72", ["default.replication.factor"] = "2" };
        c.Spec.Storage = new KafkaStorage { Size = "100Gi", StorageClassName = "fast-ssd", DeleteClaim = true };
        c.Spec.Resources = JsonNode.Parse("""{"requests":{"cpu":"1","memory":"2Gi"},"limits":{"memory":"2Gi"}}""")!.AsObject();
        c.Spec.RackTopologyKey = "topology.kubernetes.io/zone";
        c.Spec.Template = new PodTemplate
        {
            Affinity = JsonNode.Parse("""{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"pool","operator":"In","values":["kafka"]}]}]}}}""")!.AsObject(),
            Tolerations = [JsonNode.Parse("""{"key":"dedicated","operator":"Equal","value":"kafka","effect":"NoSchedule"}""")!.AsObject()],
            Labels = new Dictionary<string, string>() { ["team"] = "streaming", ["app.kubernetes.io/name"] = "not-kafka" },
            Annotations = new Dictionary<string, string>() { ["prometheus.io/scrape"] = "true" },
        };
        return c;
    }
}
