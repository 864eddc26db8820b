using System.Text.Json.Nodes;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Models;

public sealed class ClusterModelTests
{
    private static readonly ModelOptions Options = new();

    private static JsonObject Sts(KafkaCluster c) => ClusterModel.Build(c, Options).Single(o => o.Kind == "StatefulSet").Body;

    private static string Hash(KafkaCluster c) =>
        Sts(c)["spec"]!["template"]!["metadata"]!["annotations"]![ClusterNames.ConfigHashAnnotation]!.GetValue<string>();

    [Fact]
    public void Config_change_changes_the_pod_template_hash_and_nothing_else_does()
    {
        var a = Samples.Cluster();
        var b = Samples.Cluster();
        b.Spec.Image = "other:1";
        Assert.Equal(Hash(a), Hash(b));
        b.Spec.Config = new() { ["num.partitions"] = "12" };
        Assert.NotEqual(Hash(a), Hash(b));
    }

    [Fact]
    public void Model_is_deterministic()
    {
        var first = ClusterModel.Build(Samples.FullCluster(), Options).Select(o => o.Body.ToJsonString());
        var second = ClusterModel.Build(Samples.FullCluster(), Options).Select(o => o.Body.ToJsonString());
        Assert.Equal(first, second);
    }

    [Fact]
    public void User_labels_cannot_override_selector_labels()
    {
        var labels = Sts(Samples.FullCluster())["spec"]!["template"]!["metadata"]!["labels"]!;
        Assert.Equal("kafka", labels["app.kubernetes.io/name"]!.GetValue<string>());
        Assert.Equal("streaming", labels["team"]!.GetValue<string>());
    }

    [Fact]
    public void Operator_owned_keys_are_never_rendered_from_user_config()
    {
        var c = Samples.Cluster();
        c.Spec.Config = new() { ["log.dirs"] = "/tmp/evil", ["node.id"] = "7", ["num.io.threads"] = "4" };
        var props = ClusterModel.ServerProperties(c, new ClusterNames(c));
        Assert.DoesNotContain("/tmp/evil", props, StringComparison.Ordinal);
        Assert.DoesNotContain("node.id=7", props, StringComparison.Ordinal);
        Assert.Contains("num.io.threads=4", props, StringComparison.Ordinal);
        Assert.Equal(["log.dirs", "node.id"], ClusterModel.ForbiddenConfigKeys(c));
    }

    [Theory]
    [InlineData(1, "1")]
    [InlineData(2, "2")]
    [InlineData(3, "3")]
    [InlineData(5, "3")]
    public void Replication_defaults_follow_the_cluster_size_up_to_three(int brokers, string expected)
    {
        var c = Samples.Cluster();
        c.Spec.Replicas = brokers;
        c.Spec.Config = [];
        var props = ClusterModel.ServerProperties(c, new ClusterNames(c));
        Assert.Contains($"default.replication.factor={expected}\n", props, StringComparison.Ordinal);
        Assert.Contains($"offsets.topic.replication.factor={expected}\n", props, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_object_is_owned_by_the_cluster()
    {
        var c = Samples.Cluster();
        foreach (var o in ClusterModel.Build(c, Options).Where(o => !o.Absent))
        {
            var owner = o.Body["metadata"]!["ownerReferences"]![0]!;
            Assert.Equal(c.Metadata.Uid, owner["uid"]!.GetValue<string>());
            Assert.True(owner["controller"]!.GetValue<bool>());
            Assert.Equal("kafka", o.Body["metadata"]!["namespace"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Cluster_id_is_kafka_format_and_stable()
    {
        var id = ClusterNames.ClusterId(Samples.Cluster());
        Assert.Equal(22, id.Length);
        Assert.Equal(id, ClusterNames.ClusterId(Samples.Cluster()));
        Assert.DoesNotContain('=', id);
    }
}
