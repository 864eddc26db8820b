using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Crds;

/// <summary>config/samples is what a new user applies first: it must parse as the CRD types and work with default clients.</summary>
public sealed class SampleManifestTests
{
    private static List<System.Text.Json.Nodes.JsonObject> All() =>
        [.. Directory.GetFiles(Path.Combine(RepoPaths.Root, "config", "samples"), "*.yaml").Order(StringComparer.Ordinal).SelectMany(YamlManifests.Load)];

    private static List<T> OfKind<T>(string kind) =>
        [.. All().Where(o => o["kind"]?.GetValue<string>() == kind).Select(o => OperatorJson.FromNode<T>(o))];

    [Fact]
    public void Sample_topics_can_be_created_and_accept_acks_all_producers()
    {
        var clusters = OfKind<KafkaCluster>("KafkaCluster");
        var topics = OfKind<KafkaTopic>("KafkaTopic");
        Assert.NotEmpty(clusters);
        Assert.NotEmpty(topics);
        foreach (var topic in topics)
        {
            var cluster = Assert.Single(clusters, c => c.Metadata.Name == topic.Spec.Cluster && c.Metadata.NamespaceProperty == topic.Metadata.NamespaceProperty);
            Assert.True(topic.Spec.ReplicationFactor <= cluster.Spec.Replicas, $"{topic.Metadata.Name}: replicationFactor above spec.replicas");
            // Replicated, with room for one broker to be down without failing acks=all.
            Assert.True(topic.Spec.ReplicationFactor >= 3, $"{topic.Metadata.Name}: replicationFactor below 3");
            Assert.Null(MinInsyncReplicasCheck.Warning(topic, cluster));
        }
    }
}
