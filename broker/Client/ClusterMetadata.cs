using KafkaOperator.Protocol;

namespace KafkaOperator.Client;

public sealed record BrokerNode(int NodeId, string Host, int Port, string? Rack)
{
    public override string ToString() => $"{NodeId}@{Host}:{Port}";
}

public sealed record PartitionMetadata(int Partition, int LeaderId, int LeaderEpoch, IReadOnlyList<int> Replicas,
    IReadOnlyList<int> Isr, IReadOnlyList<int> OfflineReplicas, ErrorCode Error);

public sealed record TopicMetadata(string Name, Guid TopicId, bool IsInternal, ErrorCode Error,
    IReadOnlyList<PartitionMetadata> Partitions)
{
    public PartitionMetadata? Partition(int partition) =>
        partition >= 0 && partition < Partitions.Count && Partitions[partition].Partition == partition
            ? Partitions[partition]
            : Partitions.FirstOrDefault(p => p.Partition == partition);
}

/// <summary>An immutable snapshot of what the cluster last said about itself.</summary>
public sealed class ClusterMetadata
{
    public static readonly ClusterMetadata Empty = new(null, -1, [], new Dictionary<string, TopicMetadata>());

    public ClusterMetadata(string? clusterId, int controllerId, IReadOnlyList<BrokerNode> brokers,
        IReadOnlyDictionary<string, TopicMetadata> topics)
    {
        ClusterId = clusterId;
        ControllerId = controllerId;
        Brokers = brokers;
        Topics = topics;
    }

    public string? ClusterId { get; }

    public int ControllerId { get; }

    public IReadOnlyList<BrokerNode> Brokers { get; }

    public IReadOnlyDictionary<string, TopicMetadata> Topics { get; }

    public BrokerNode? Broker(int nodeId) => Brokers.FirstOrDefault(b => b.NodeId == nodeId);
}
