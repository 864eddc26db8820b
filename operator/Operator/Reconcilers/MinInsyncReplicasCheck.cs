using System.Globalization;
using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// A topic whose effective min.insync.replicas exceeds its replication factor can never satisfy acks=all: every such
/// producer (kcat's and the Java client's default) retries until its delivery timeout and then fails. Kafka creates
/// the topic anyway, so the operator does too, but says so.
/// </summary>
public static class MinInsyncReplicasCheck
{
    public const string Key = "min.insync.replicas";

    /// <summary>The broker default when neither the topic nor the cluster sets the key.</summary>
    public const int BrokerDefault = 1;

    /// <summary>The topic's value, else the cluster's (the broker default for every topic), else Kafka's default.</summary>
    public static int Effective(KafkaTopic topic, KafkaCluster cluster) =>
        Parse(topic.Spec.Config) ?? Parse(cluster.Spec.Config) ?? BrokerDefault;

    /// <summary>A warning sentence, or null when acks=all can be satisfied.</summary>
    public static string? Warning(KafkaTopic topic, KafkaCluster cluster)
    {
        var effective = Effective(topic, cluster);
        if (effective <= topic.Spec.ReplicationFactor)
        {
            return null;
        }
        var source = Parse(topic.Spec.Config) is not null ? "the topic's spec.config" : $"KafkaCluster {cluster.Metadata.Name}'s spec.config";
        return $"{Key} {effective} (from {source}) exceeds replicationFactor {topic.Spec.ReplicationFactor}: producers with acks=all will fail with NOT_ENOUGH_REPLICAS";
    }

    private static int? Parse(Dictionary<string, string>? config) =>
        config is not null && config.TryGetValue(Key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
