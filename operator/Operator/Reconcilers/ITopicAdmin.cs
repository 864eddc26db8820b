namespace KafkaOperator.Operator.Reconcilers;

/// <summary>A topic as the brokers report it. Config holds only values set explicitly on the topic.</summary>
public sealed record TopicState(string Name, string? TopicId, int Partitions, int ReplicationFactor, IReadOnlyDictionary<string, string> Config)
{
    /// <summary>Every partition's replicas, ISR and ongoing reassignment; empty when not described (just created).</summary>
    public IReadOnlyList<TopicPartitionReplicas> Assignment { get; init; } = [];
}

/// <summary>
/// One partition's replicas as Metadata and ListPartitionReassignments report them. While a reassignment runs,
/// Replicas is the union of the old and the target replicas (KIP-455), with Adding and Removing listing the difference.
/// </summary>
public sealed record TopicPartitionReplicas(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr,
    IReadOnlyList<int> Adding, IReadOnlyList<int> Removing)
{
    public bool Reassigning => Adding.Count > 0 || Removing.Count > 0;

    /// <summary>The replicas the partition keeps: all of them, or the reassignment's target while one runs.</summary>
    public IReadOnlyList<int> Target => Removing.Count == 0 ? Replicas : [.. Replicas.Where(r => !Removing.Contains(r))];

    /// <summary>Led, and every replica it keeps is in the ISR (a replica being added counts as missing until it has caught up).</summary>
    public bool FullyInSync => Leader >= 0 && Target.All(Isr.Contains);
}

/// <summary>Kafka admin failure with the Kafka error name when there is one (e.g. "InvalidReplicationFactor").</summary>
public sealed class TopicAdminException(string message, string? errorCode = null, Exception? inner = null) : Exception(message, inner)
{
    public string? ErrorCode { get; } = errorCode;
}

/// <summary>
/// The Kafka admin operations the topic reconciler needs, addressed by bootstrap servers. Implemented over the
/// Kafka protocol by <see cref="KafkaTopicAdmin"/>; tests substitute an in-memory fake.
/// </summary>
public interface ITopicAdmin
{
    Task<int> CountBrokersAsync(string bootstrap, CancellationToken ct);

    /// <summary>Null when the topic does not exist.</summary>
    Task<TopicState?> DescribeTopicAsync(string bootstrap, string topic, CancellationToken ct);

    /// <summary>Creates the topic and returns its id (null when the broker does not report one).</summary>
    Task<string?> CreateTopicAsync(string bootstrap, string topic, int partitions, int replicationFactor, IReadOnlyDictionary<string, string> config, CancellationToken ct);

    Task CreatePartitionsAsync(string bootstrap, string topic, int totalCount, CancellationToken ct);

    /// <summary>Sets <paramref name="set"/> and removes <paramref name="delete"/> (back to the broker default).</summary>
    Task AlterTopicConfigAsync(string bootstrap, string topic, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct);

    /// <summary>Deletes the topic; succeeds when it does not exist.</summary>
    Task DeleteTopicAsync(string bootstrap, string topic, CancellationToken ct);

    /// <summary>Every registered broker with the number of partition replicas it holds (all topics, internal ones too).</summary>
    Task<IReadOnlyDictionary<int, int>> BrokerLoadsAsync(string bootstrap, CancellationToken ct);

    /// <summary>
    /// Starts moving each partition (by number) of the topic to its target replicas, the first being the preferred
    /// leader (AlterPartitionReassignments; the replica count may change).
    /// </summary>
    Task ReassignPartitionsAsync(string bootstrap, string topic, IReadOnlyDictionary<int, IReadOnlyList<int>> targets, CancellationToken ct);
}
