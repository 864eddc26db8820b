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
        b.Spec.Config = new() { ["auto.create.topics.enable"] = "false" };
        Assert.NotEqual(Hash(a), Hash(b));
    }

    [Fact]
    public void Dynamic_keys_and_the_broker_count_do_not_change_the_hash_but_the_restart_annotation_does()
    {
        var a = Samples.Cluster();
        var b = Samples.Cluster();
        b.Spec.Config = new() { ["num.partitions"] = "12", ["log.retention.ms"] = "1000", ["min.insync.replicas"] = "2" };
        b.Spec.Replicas = 5;
        b.Spec.Controllers = 3;
        Assert.Equal(Hash(a), Hash(b));
        b.Metadata.Annotations = new Dictionary<string, string> { [ClusterNames.RestartAnnotation] = "2026-12-07T02:00:00Z" };
        Assert.NotEqual(Hash(a), Hash(b));
    }

    [Fact]
    public void Ordinals_below_the_controller_count_are_voters_and_the_rest_broker_only()
    {
        var c = Samples.Cluster(replicas: 5);
        var names = new ClusterNames(c);
        var properties = ClusterModel.ServerProperties(c, names);
        var voters = properties.Split('\n').Single(l => l.StartsWith("controller.quorum.voters=", StringComparison.Ordinal));
        Assert.Equal(3, voters.Split(',').Length);
        Assert.Contains("0@demo-broker-0.", voters, StringComparison.Ordinal);
        Assert.DoesNotContain("3@", voters, StringComparison.Ordinal);
        var run = ClusterModel.RunScript(names, ClusterShape.Of(c));
        Assert.Contains("if [ \"$ordinal\" -lt 3 ]", run, StringComparison.Ordinal);
        Assert.Contains("roles=broker\n", run, StringComparison.Ordinal);
        Assert.Contains("--override process.roles=\"$roles\"", run, StringComparison.Ordinal);

        var single = Samples.Cluster(replicas: 1);
        Assert.Equal(1, ClusterShape.Of(single).Controllers);
        single.Spec.Replicas = 7;
        single.Spec.Controllers = 5;
        Assert.Equal(new ClusterShape(7, 5), ClusterShape.Of(single));
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
