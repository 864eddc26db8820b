using System.Collections.Immutable;

namespace KafkaOperator.Server.Cluster;

/// <summary>
/// One partition's replicas and their state as the active controller last decided it. LeaderEpoch grows with every
/// leadership change (fencing stale leaders and their appends); PartitionEpoch grows with every change of leader or
/// ISR, so that an AlterPartition based on an older state is refused (INVALID_UPDATE_VERSION). On a single node the
/// leader, replicas and ISR are all this node. During a reassignment (KIP-455) Replicas is the target followed by the
/// replicas being removed; AddingReplicas and RemovingReplicas say which is which (null or empty: none).
/// </summary>
public sealed record PartitionMetadata(int Partition, int Leader, int LeaderEpoch, int[] Replicas, int[] Isr, int PartitionEpoch = 0,
    int[]? AddingReplicas = null, int[]? RemovingReplicas = null)
{
    public bool IsUnderReplicated => Isr.Length < Replicas.Length;

    public bool IsReassigning => AddingReplicas is { Length: > 0 } || RemovingReplicas is { Length: > 0 };
}

/// <summary>A topic as the metadata store records it: identity, partitions and per-topic config overrides.</summary>
public sealed record TopicMetadata(string Name, Guid TopicId, PartitionMetadata[] Partitions, IReadOnlyDictionary<string, string> Configs);

/// <summary>A listener a broker registered: the name (PLAINTEXT, CONTROLLER, ...) and where clients reach it.</summary>
public sealed record BrokerEndpoint(string Name, string Host, int Port);

/// <summary>
/// A registered broker. Fenced brokers are registered but not alive (no heartbeat within
/// broker.session.timeout.ms, or still catching up): they lead nothing and Metadata does not list them.
/// </summary>
/// <remarks>ShuttingDown: the broker fenced itself to stop (controlled shutdown); it stays fenced until it registers again.</remarks>
public sealed record BrokerInfo(int Id, long Epoch, IReadOnlyList<BrokerEndpoint> Endpoints, string? Rack, bool Fenced, bool ShuttingDown = false);

/// <summary>
/// An immutable view of the cluster metadata at one point. Readers take <see cref="IMetadataStore.Image"/> once
/// per request and work on it without locks; every change publishes a new image. The maps are persistent
/// (<see cref="ImmutableDictionary{TKey, TValue}"/>): a new image shares every topic and broker it does not change
/// with the one before, so a commit costs what it changes, not the size of the cluster (see <see cref="MetadataDelta"/>).
/// </summary>
public sealed class MetadataImage
{
    // The default string comparer (ordinal, as topic names compare): a lookup with it costs about what Dictionary's
    // does at 1,000 topics, where StringComparer.Ordinal, called through the interface, costs twice that.
    private static readonly ImmutableDictionary<string, TopicMetadata> NoTopicsByName = ImmutableDictionary<string, TopicMetadata>.Empty;
    private static readonly ImmutableDictionary<string, string> NoConfigs = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    public static readonly MetadataImage Empty = new(NoTopicsByName, ImmutableDictionary<Guid, TopicMetadata>.Empty, NoConfigs, 0);

    public MetadataImage(
        IReadOnlyDictionary<string, TopicMetadata> byName,
        IReadOnlyDictionary<Guid, TopicMetadata> byId,
        IReadOnlyDictionary<string, string> brokerConfigs,
        long nextProducerId,
        IReadOnlyDictionary<int, BrokerInfo>? brokers = null,
        int controllerId = -1)
    {
        ArgumentNullException.ThrowIfNull(byName);
        ArgumentNullException.ThrowIfNull(byId);
        // Already persistent (the state machine's images): shared as they are; anything else is copied once.
        TopicsByNameMap = byName as ImmutableDictionary<string, TopicMetadata> is { } n && n.KeyComparer == NoTopicsByName.KeyComparer
            ? n
            : NoTopicsByName.AddRange(byName);
        TopicsByIdMap = byId as ImmutableDictionary<Guid, TopicMetadata> ?? byId.ToImmutableDictionary();
        BrokersMap = brokers as ImmutableDictionary<int, BrokerInfo> ?? brokers?.ToImmutableDictionary() ?? ImmutableDictionary<int, BrokerInfo>.Empty;
        ControllerId = controllerId;
        BrokerConfigs = brokerConfigs;
        NextProducerId = nextProducerId;
    }

    public IReadOnlyDictionary<string, TopicMetadata> TopicsByName => TopicsByNameMap;
    public IReadOnlyDictionary<Guid, TopicMetadata> TopicsById => TopicsByIdMap;

    internal ImmutableDictionary<string, TopicMetadata> TopicsByNameMap { get; }
    internal ImmutableDictionary<Guid, TopicMetadata> TopicsByIdMap { get; }
    internal ImmutableDictionary<int, BrokerInfo> BrokersMap { get; }

    /// <summary>Dynamic broker configs; keys prefixed "default:" are cluster-wide defaults.</summary>
    public IReadOnlyDictionary<string, string> BrokerConfigs { get; }

    /// <summary>The first producer id not yet handed out in a block.</summary>
    public long NextProducerId { get; }

    /// <summary>Registered brokers by id, fenced ones included. A single node registers itself only.</summary>
    public IReadOnlyDictionary<int, BrokerInfo> Brokers => BrokersMap;

    /// <summary>The active controller (the metadata quorum's leader), or -1 while there is none.</summary>
    public int ControllerId { get; }

    /// <summary>This image with another active controller; everything else shared.</summary>
    public MetadataImage WithController(int controllerId) =>
        controllerId == ControllerId ? this : new MetadataImage(TopicsByNameMap, TopicsByIdMap, BrokerConfigs, NextProducerId, BrokersMap, controllerId);

    public TopicMetadata? Topic(string name) => TopicsByNameMap.TryGetValue(name, out var topic) ? topic : null;

    /// <summary>Whether broker <paramref name="brokerId"/> may join an ISR: registered, neither fenced nor shutting down (KIP-841).</summary>
    public bool IsEligibleReplica(int brokerId) =>
        BrokersMap.TryGetValue(brokerId, out var broker) && !broker.Fenced && !broker.ShuttingDown;

    /// <summary>Whether broker <paramref name="brokerId"/> leads any partition in this image.</summary>
    public bool LeadsAny(int brokerId)
    {
        foreach (var topic in TopicsByIdMap.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.Leader == brokerId)
                    return true;
            }
        }
        return false;
    }

    public TopicMetadata? Topic(Guid id) => TopicsByIdMap.TryGetValue(id, out var topic) ? topic : null;
}
