using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Tests.Support;
using KafkaOperator.Operator.Yaml;

namespace KafkaOperator.Operator.Tests.Models;

public sealed class ClusterModelGoldenTests
{
    private static readonly ModelOptions Options = new() { DefaultBrokerImage = "ghcr.io/kafkaoperator/broker:test" };

    private static string Render(KafkaCluster cluster) =>
        YamlWriter.WriteAll(ClusterModel.Build(cluster, Options).Select(o => o.Absent
            ? new System.Text.Json.Nodes.JsonObject { ["absent"] = o.Kind + "/" + o.Name }
            : o.Body));

    [Fact]
    public void Minimal_three_broker_cluster() => Golden.Assert("cluster-minimal.yaml", Render(Samples.Cluster()));

    [Fact]
    public void Full_cluster_with_storage_template_and_rack() => Golden.Assert("cluster-full.yaml", Render(Samples.FullCluster()));

    [Fact]
    public void Single_broker_cluster_has_no_disruption_budget() => Golden.Assert("cluster-single.yaml", Render(Samples.Cluster("solo", 1)));
}
