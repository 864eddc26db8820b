namespace KafkaOperator.Operator.Reconcilers;

/// <summary>A topic as the brokers report it. Config holds only values set explicitly on the topic.</summary>
public sealed record TopicState(string Name, string? TopicId, int Partitions, int ReplicationFactor, IReadOnlyDictionary<string, string> Config);

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
}
