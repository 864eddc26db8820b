using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// A partition as Metadata and DescribeTopicPartitions report it to clients: the leader they may use, the ISR and the
/// replicas that cannot serve. Both APIs answer from this so that they never disagree.
/// </summary>
public sealed record PartitionState(int Leader, int LeaderEpoch, int[] Replicas, int[] Isr, int[] OfflineReplicas)
{
    /// <summary>
    /// Kafka's rules (KRaftMetadataCache): a replica is offline when its broker is not registered, is fenced or lacks
    /// the client's listener; the leader is reported only while its broker is registered with that listener.
    /// <paramref name="localLogOffline"/> is this node's own replica failing to load: the controller is never told
    /// (there is no log dir reporting), so this node takes its replica out of the leader and the ISR itself, as
    /// Kafka's controller would once told of an offline log dir.
    /// </summary>
    public static PartitionState Of(MetadataImage image, int nodeId, string listenerName, PartitionMetadata partition, bool localLogOffline)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(partition);
        List<int>? offline = null;
        foreach (var replica in partition.Replicas)
        {
            if (!Reachable(image, nodeId, listenerName, replica, aliveOnly: true) || (localLogOffline && replica == nodeId))
                (offline ??= []).Add(replica);
        }
        var leader = partition.Leader;
        if (leader >= 0 && (!Reachable(image, nodeId, listenerName, leader, aliveOnly: false) || (localLogOffline && leader == nodeId)))
            leader = -1;
        var isr = localLogOffline ? Array.FindAll(partition.Isr, id => id != nodeId) : partition.Isr;
        // The image's arrays are shared, never changed: callers copy them into their responses.
        return new PartitionState(leader, partition.LeaderEpoch, partition.Replicas, isr, offline is null ? [] : [.. offline]);
    }

    /// <summary>The state for a partition of <paramref name="topic"/> as this broker sees it.</summary>
    public static PartitionState Of(BrokerServices services, MetadataImage image, string topic, PartitionMetadata partition)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(partition);
        return Of(image, services.Config.NodeId, services.AdvertisedListener.Name, partition, services.Replicas.IsOffline(topic, partition.Partition));
    }

    // Kafka reports a fenced leader (the controller moves leadership off it) but counts a fenced replica as offline.
    private static bool Reachable(MetadataImage image, int nodeId, string listenerName, int id, bool aliveOnly)
    {
        if (!image.Brokers.TryGetValue(id, out var broker) || (aliveOnly && broker.Fenced))
            return false;
        foreach (var endpoint in broker.Endpoints)
        {
            if (string.Equals(endpoint.Name, listenerName, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
