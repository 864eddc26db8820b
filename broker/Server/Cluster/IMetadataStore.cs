namespace KafkaOperator.Server.Cluster;

/// <summary>
/// The cluster metadata: topics, partitions, configs, producer id blocks. Changes are proposed through the methods
/// below and are visible in <see cref="Image"/> once durable: the Raft quorum's store commits each change to the
/// metadata log before completing the task.
/// </summary>
public interface IMetadataStore
{
    string ClusterId { get; }

    int NodeId { get; }

    MetadataImage Image { get; }

    /// <summary>
    /// Whether <see cref="Image"/> is known to hold all committed metadata, so that a partition log it lacks really
    /// is an orphan: once this node has caught up with the quorum, unless it is a quorum of one whose metadata log
    /// was empty at start (lost, perhaps, rather than never written).
    /// </summary>
    bool IsComplete { get; }

    /// <summary>
    /// Raised after a change has been made durable and published, in commit order, with the new image and what
    /// changed since the image published before it (<see cref="MetadataDelta"/>): subscribers apply only that.
    /// </summary>
    event Action<MetadataImage, MetadataDelta>? Changed;

    Task CreateTopicAsync(TopicMetadata topic, CancellationToken cancellationToken = default);

    Task DeleteTopicAsync(Guid topicId, CancellationToken cancellationToken = default);

    Task AddPartitionsAsync(Guid topicId, IReadOnlyList<PartitionMetadata> added, CancellationToken cancellationToken = default);

    Task SetTopicConfigsAsync(Guid topicId, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default);

    /// <summary>Replaces the dynamic broker configs (see <see cref="MetadataImage.BrokerConfigs"/>).</summary>
    Task SetBrokerConfigsAsync(IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default);

    /// <summary>Reserves <paramref name="count"/> producer ids durably and returns the first; never reused.</summary>
    Task<long> AllocateProducerIdBlockAsync(int count, CancellationToken cancellationToken = default);
}
