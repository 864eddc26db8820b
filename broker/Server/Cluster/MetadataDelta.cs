namespace KafkaOperator.Server.Cluster;

/// <summary>
/// What one publication changed between <see cref="Base"/> and the image published with it (Kafka's MetadataDelta):
/// the topics created, deleted or changed with the partitions changed in each, the brokers whose registration or
/// fencing changed, and whether the dynamic broker configs, the producer id mark or the controller changed.
/// Subscribers of <see cref="IMetadataStore.Changed"/> apply only this, so a commit that changes 3 of 100,000
/// partitions costs them about 3. A full delta (<see cref="IsFull"/>: a snapshot loaded, the first image) says
/// nothing about what changed: a subscriber walks the whole image then, as Kafka's publishers do on a snapshot.
/// A subscriber that did not apply <see cref="Base"/> itself (it subscribed after it was published) does the same.
/// </summary>
public sealed class MetadataDelta
{
    private readonly Dictionary<Guid, TopicDelta> _topics;
    private readonly HashSet<int> _brokers;

    private MetadataDelta(MetadataImage? baseImage, Dictionary<Guid, TopicDelta> topics, HashSet<int> brokers)
    {
        Base = baseImage;
        _topics = topics;
        _brokers = brokers;
    }

    /// <summary>An empty delta on <paramref name="baseImage"/>, filled by the state machine as it applies records.</summary>
    public MetadataDelta(MetadataImage baseImage)
        : this(baseImage ?? throw new ArgumentNullException(nameof(baseImage)), [], [])
    {
    }

    /// <summary>A delta that does not say what changed: subscribers walk the whole image.</summary>
    public static MetadataDelta Full() => new(null, [], []);

    /// <summary>The image this delta applies to; null when <see cref="IsFull"/>.</summary>
    public MetadataImage? Base { get; }

    public bool IsFull => Base is null;

    /// <summary>The topics this delta touches, by id (a topic deleted and one created with its name are two entries).</summary>
    public IReadOnlyDictionary<Guid, TopicDelta> Topics => _topics;

    /// <summary>Brokers registered, fenced, unfenced or shutting down.</summary>
    public IReadOnlySet<int> Brokers => _brokers;

    public bool BrokerConfigsChanged { get; private set; }

    public bool ProducerIdsChanged { get; private set; }

    public bool ControllerChanged { get; private set; }

    /// <summary>Whether a subscriber that applied <paramref name="applied"/> can apply this delta alone (else it walks the image).</summary>
    public bool AppliesTo(MetadataImage? applied) => !IsFull && ReferenceEquals(Base, applied);

    internal void TopicCreated(Guid id, string name, int partitions)
    {
        var topic = Topic(id, name);
        topic.Created = true;
        topic.ConfigsChanged = false;
        topic.AddRange(0, partitions);
    }

    internal void TopicDeleted(Guid id, string name)
    {
        var topic = Topic(id, name);
        topic.Clear();
        if (topic.Created && !topic.Deleted)
        {
            // Created and deleted within this delta: as far as a subscriber can tell, nothing happened.
            _topics.Remove(id);
            return;
        }
        topic.Created = false;
        topic.Deleted = true;
    }

    internal void PartitionsAdded(Guid id, string name, int from, int to) => Topic(id, name).AddRange(from, to);

    internal void PartitionChanged(Guid id, string name, int partition) => Topic(id, name).Add(partition);

    internal void TopicConfigsChanged(Guid id, string name) => Topic(id, name).ConfigsChanged = true;

    internal void BrokerChanged(int id) => _brokers.Add(id);

    internal void BrokerConfigsChange() => BrokerConfigsChanged = true;

    internal void ProducerIdsChange() => ProducerIdsChanged = true;

    internal void ControllerChange() => ControllerChanged = true;

    /// <summary>A copy to go back to when a batch fails half-way: costs what the delta holds, not the image.</summary>
    internal MetadataDelta Clone()
    {
        var topics = new Dictionary<Guid, TopicDelta>(_topics.Count);
        foreach (var (id, t) in _topics)
            topics[id] = t.Clone();
        return new MetadataDelta(Base, topics, [.. _brokers])
        {
            BrokerConfigsChanged = BrokerConfigsChanged,
            ProducerIdsChanged = ProducerIdsChanged,
            ControllerChanged = ControllerChanged,
        };
    }

    private TopicDelta Topic(Guid id, string name)
    {
        if (!_topics.TryGetValue(id, out var topic))
            _topics[id] = topic = new TopicDelta(id, name);
        return topic;
    }
}

/// <summary>
/// One topic's part of a <see cref="MetadataDelta"/>. Deleted: the topic with this id is gone (its logs go);
/// Created: it is new (with Deleted too, an id reused after a delete in the same delta). ChangedPartitions are the
/// partitions to apply from the new image: all of a created topic's, the added ones, the ones a
/// PartitionChangeRecord changed. ConfigsChanged: its config overrides changed (every partition it hosts is told).
/// </summary>
public sealed class TopicDelta(Guid topicId, string name)
{
    private readonly HashSet<int> _partitions = [];

    public Guid TopicId { get; } = topicId;

    public string Name { get; } = name;

    public bool Created { get; internal set; }

    public bool Deleted { get; internal set; }

    public bool ConfigsChanged { get; internal set; }

    public IReadOnlySet<int> ChangedPartitions => _partitions;

    internal void Add(int partition) => _partitions.Add(partition);

    internal void AddRange(int from, int to)
    {
        for (var p = from; p < to; p++)
            _partitions.Add(p);
    }

    internal void Clear()
    {
        _partitions.Clear();
        ConfigsChanged = false;
    }

    internal TopicDelta Clone()
    {
        var copy = new TopicDelta(TopicId, Name) { Created = Created, Deleted = Deleted, ConfigsChanged = ConfigsChanged };
        copy._partitions.UnionWith(_partitions);
        return copy;
    }
}
