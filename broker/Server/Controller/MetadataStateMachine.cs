using System.Collections.Immutable;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>What applying one record gave: an error for the proposer, or success with a value (a producer id block's start).</summary>
public readonly record struct ApplyResult(ErrorCode Error, string? Message, long Value)
{
    public static readonly ApplyResult Ok = new(ErrorCode.None, null, 0);

    public static ApplyResult Fail(ErrorCode error, string message) => new(error, message, 0);
}

/// <summary>
/// Applies committed metadata records to a working copy of the image. Deterministic: the result depends only on
/// the image and the record (and the record's offset), so every node computes the same image and the same
/// results. A record that no longer fits (a topic created twice by two brokers at once, a fence for an old broker
/// epoch, a partition change decided on an older partition epoch) changes nothing and reports why. Nothing is
/// decided here: leaders and ISRs change only by the active controller's <see cref="PartitionChangeRecord"/>s.
/// </summary>
public sealed class MetadataStateMachine
{
    // Builders over the image's persistent maps: the machine writes only what the records change, and the next
    // image shares the rest with this one (no copy of the cluster per commit).
    private ImmutableDictionary<Guid, TopicMetadata>.Builder _topics;
    private ImmutableDictionary<string, TopicMetadata>.Builder _byName;
    private ImmutableDictionary<int, BrokerInfo>.Builder _brokers;
    private IReadOnlyDictionary<string, string> _brokerConfigs;
    private long _nextProducerId;
    private readonly MetadataImage _base;
    private MetadataDelta _delta;

    // Topics whose partition array this machine copied since its last image: further changes to them write in place,
    // so a batch of thousands of partition changes (a fencing) copies each topic's array once, not once per change.
    private readonly HashSet<Guid> _ownedPartitions = [];

    public MetadataStateMachine(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _base = image;
        _topics = image.TopicsByIdMap.ToBuilder();
        _byName = image.TopicsByNameMap.ToBuilder();
        _brokers = image.BrokersMap.ToBuilder();
        _brokerConfigs = image.BrokerConfigs;
        _nextProducerId = image.NextProducerId;
        _delta = new MetadataDelta(image);
    }

    /// <summary>What the records applied so far changed since the image this machine started from.</summary>
    public MetadataDelta Delta => _delta;

    public MetadataImage ToImage(int controllerId)
    {
        _ownedPartitions.Clear(); // the image shares the arrays from here on
        if (controllerId != _base.ControllerId)
            _delta.ControllerChange();
        return new MetadataImage(_byName.ToImmutable(), _topics.ToImmutable(), _brokerConfigs, _nextProducerId, _brokers.ToImmutable(), controllerId);
    }

    public ApplyResult Apply(MetadataRecord record, long offset) => record switch
    {
        BarrierRecord => ApplyResult.Ok,
        RegisterBrokerRecord r => Register(r, offset),
        FenceBrokerRecord r => SetFenced(r.BrokerId, r.Epoch, fenced: true, r.ShuttingDown),
        UnfenceBrokerRecord r => SetFenced(r.BrokerId, r.Epoch, fenced: false, shuttingDown: false),
        CreateTopicRecord r => CreateTopic(r),
        DeleteTopicRecord r => DeleteTopic(r),
        AddPartitionsRecord r => AddPartitions(r),
        TopicConfigsRecord r => SetTopicConfigs(r),
        BrokerConfigsRecord r => SetBrokerConfigs(r),
        ProducerIdsRecord r => AllocateProducerIds(r),
        PartitionChangeRecord r => ChangePartition(r),
        PartitionChangesRecord r => ChangePartitions(r),
        BatchRecord r => ApplyBatch(r, offset),
        _ => ApplyResult.Fail(ErrorCode.UnknownServerError, $"unknown metadata record {record.GetType().Name}"),
    };

    private ApplyResult Register(RegisterBrokerRecord r, long offset)
    {
        var endpoints = r.Endpoints.Select(e => new BrokerEndpoint(e.Name, e.Host, e.Port)).ToList();
        // A broker that registers again restarted: until the controller has moved its leaderships away (new leader
        // epochs, so that what it lost in the crash cannot mix with what others appended since), it is fenced.
        var restarted = _brokers.ContainsKey(r.BrokerId);
        _brokers[r.BrokerId] = new BrokerInfo(r.BrokerId, offset, endpoints, r.Rack, Fenced: restarted);
        _delta.BrokerChanged(r.BrokerId);
        return new ApplyResult(ErrorCode.None, null, offset);
    }

    private ApplyResult SetFenced(int brokerId, long epoch, bool fenced, bool shuttingDown)
    {
        if (!_brokers.TryGetValue(brokerId, out var broker) || broker.Epoch != epoch)
            return ApplyResult.Fail(ErrorCode.StaleBrokerEpoch, $"broker {brokerId} is not registered with epoch {epoch}");
        if (!fenced && broker.ShuttingDown)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"broker {brokerId} is shutting down");
        _brokers[brokerId] = broker with { Fenced = fenced, ShuttingDown = broker.ShuttingDown || shuttingDown };
        _delta.BrokerChanged(brokerId);
        return ApplyResult.Ok;
    }

    private ApplyResult ChangePartition(PartitionChangeRecord r)
    {
        if (CheckChange(r) is { } refused)
            return refused;
        WriteChange(r);
        return ApplyResult.Ok;
    }

    /// <summary>Writes a change <see cref="CheckChange"/> accepted on the current state.</summary>
    private void WriteChange(PartitionChangeRecord r)
    {
        var topic = _topics[r.TopicId];
        var p = topic.Partitions[r.Partition];
        var leader = r.Leader ?? p.Leader;
        var isr = r.Isr ?? p.Isr;
        var replicas = r.Replicas ?? p.Replicas;
        var parts = topic.Partitions;
        if (_ownedPartitions.Add(r.TopicId))
        {
            parts = (PartitionMetadata[])parts.Clone();
            Put(topic with { Partitions = parts });
        }
        _delta.PartitionChanged(r.TopicId, topic.Name, r.Partition);
        parts[r.Partition] = p with
        {
            Leader = leader,
            LeaderEpoch = leader != p.Leader ? p.LeaderEpoch + 1 : p.LeaderEpoch,
            Isr = isr,
            PartitionEpoch = p.PartitionEpoch + 1,
            Replicas = replicas,
            AddingReplicas = r.AddingReplicas ?? p.AddingReplicas,
            RemovingReplicas = r.RemovingReplicas ?? p.RemovingReplicas,
        };
    }

    /// <summary>
    /// All or nothing, without the copies a batch makes to go back: every change is checked before any is written.
    /// The partitions are distinct, so no change alters what another one's check reads.
    /// </summary>
    private ApplyResult ChangePartitions(PartitionChangesRecord r)
    {
        // Read from JSON: a list may be missing (null) however the record declares it.
        if (r.Partitions is not { } partitions || r.PartitionEpochs?.Length != partitions.Length || r.Leaders?.Length != partitions.Length || r.Isrs?.Length != partitions.Length)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"partition changes of topic id {r.TopicId}: the partition, epoch, leader and ISR lists differ in length");
        var n = partitions.Length;
        if (partitions.Distinct().Count() != n)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"partition changes of topic id {r.TopicId}: a partition is listed twice");
        var changes = new PartitionChangeRecord[n];
        for (var i = 0; i < n; i++)
        {
            changes[i] = PartitionChanges.At(r, i);
            if (CheckChange(changes[i]) is { } refused)
                return refused;
        }
        foreach (var change in changes)
            WriteChange(change);
        return ApplyResult.Ok;
    }

    /// <summary>Why the change cannot apply to the current state, or null when it can.</summary>
    private ApplyResult? CheckChange(PartitionChangeRecord r)
    {
        if (!_topics.TryGetValue(r.TopicId, out var topic) || (uint)r.Partition >= (uint)topic.Partitions.Length)
            return ApplyResult.Fail(ErrorCode.UnknownTopicOrPartition, $"Unknown partition {r.Partition} of topic id {r.TopicId}");
        var p = topic.Partitions[r.Partition];
        if (p.PartitionEpoch != r.PartitionEpoch)
            return ApplyResult.Fail(ErrorCode.InvalidUpdateVersion, $"partition {topic.Name}-{r.Partition} is at partition epoch {p.PartitionEpoch}, not {r.PartitionEpoch}");
        var leader = r.Leader ?? p.Leader;
        var isr = r.Isr ?? p.Isr;
        var replicas = r.Replicas ?? p.Replicas;
        if (ReassignmentRules.CheckReplicas(replicas, r.AddingReplicas ?? p.AddingReplicas, r.RemovingReplicas ?? p.RemovingReplicas) is { } bad)
            return ApplyResult.Fail(ErrorCode.InvalidReplicaAssignment, $"{topic.Name}-{r.Partition}: {bad}");
        if (leader >= 0 && Array.IndexOf(replicas, leader) < 0)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"broker {leader} is not a replica of {topic.Name}-{r.Partition}");
        if (isr.Length == 0 || isr.Any(b => Array.IndexOf(replicas, b) < 0) || isr.Distinct().Count() != isr.Length)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"ISR [{string.Join(',', isr)}] is not a non-empty set of replicas of {topic.Name}-{r.Partition}");
        if (leader >= 0 && Array.IndexOf(isr, leader) < 0)
            return ApplyResult.Fail(ErrorCode.InvalidRequest, $"leader {leader} of {topic.Name}-{r.Partition} is not in the ISR [{string.Join(',', isr)}]");
        return null;
    }

    /// <summary>
    /// All or nothing: a failing record undoes the ones before it. The persistent maps make the copy to go back to
    /// cheap (their current roots); the delta so far is copied too (it holds only what this machine changed).
    /// </summary>
    private ApplyResult ApplyBatch(BatchRecord r, long offset)
    {
        var topics = _topics.ToImmutable();
        var byName = _byName.ToImmutable();
        var brokers = _brokers.ToImmutable();
        _ownedPartitions.Clear(); // the saved maps share the arrays: the batch's changes copy them again
        var configs = _brokerConfigs;
        var next = _nextProducerId;
        var delta = _delta.Clone();
        foreach (var record in r.Records)
        {
            var result = record is BatchRecord ? ApplyResult.Fail(ErrorCode.InvalidRequest, "nested batch") : Apply(record, offset);
            if (result.Error == ErrorCode.None)
                continue;
            _topics = topics.ToBuilder();
            _byName = byName.ToBuilder();
            _brokers = brokers.ToBuilder();
            _ownedPartitions.Clear();
            _brokerConfigs = configs;
            _nextProducerId = next;
            _delta = delta;
            return result;
        }
        return ApplyResult.Ok;
    }

    private ApplyResult CreateTopic(CreateTopicRecord r)
    {
        if (_byName.ContainsKey(r.Name))
            return ApplyResult.Fail(ErrorCode.TopicAlreadyExists, $"Topic '{r.Name}' already exists.");
        if (_topics.ContainsKey(r.TopicId))
            return ApplyResult.Fail(ErrorCode.TopicAlreadyExists, $"Topic id {r.TopicId} already exists.");
        var parts = new PartitionMetadata[r.Replicas.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = NewPartition(i, r.Replicas[i]);
        Put(new TopicMetadata(r.Name, r.TopicId, parts, new Dictionary<string, string>(r.Configs, StringComparer.Ordinal)));
        _delta.TopicCreated(r.TopicId, r.Name, parts.Length);
        return ApplyResult.Ok;
    }

    private ApplyResult AddPartitions(AddPartitionsRecord r)
    {
        if (!_topics.TryGetValue(r.TopicId, out var topic))
            return UnknownTopic(r.TopicId);
        var parts = new List<PartitionMetadata>(topic.Partitions);
        foreach (var replicas in r.Replicas)
            parts.Add(NewPartition(parts.Count, replicas));
        _ownedPartitions.Add(r.TopicId); // a new array no image holds yet: later changes may write in place
        Put(topic with { Partitions = [.. parts] });
        _delta.PartitionsAdded(r.TopicId, topic.Name, topic.Partitions.Length, parts.Count);
        return ApplyResult.Ok;
    }

    /// <summary>A new partition starts led by its first unfenced replica, with every unfenced replica in sync (all are empty).</summary>
    private PartitionMetadata NewPartition(int index, int[] replicas)
    {
        var live = replicas.Where(r => _brokers.TryGetValue(r, out var b) && !b.Fenced).ToArray();
        return live.Length == 0
            ? new PartitionMetadata(index, -1, 0, replicas, replicas)
            : new PartitionMetadata(index, live[0], 0, replicas, live);
    }

    private ApplyResult DeleteTopic(DeleteTopicRecord r)
    {
        if (!_topics.TryGetValue(r.TopicId, out var topic))
            return UnknownTopic(r.TopicId);
        _topics.Remove(r.TopicId);
        _byName.Remove(topic.Name);
        _ownedPartitions.Remove(r.TopicId);
        _delta.TopicDeleted(r.TopicId, topic.Name);
        return ApplyResult.Ok;
    }

    private ApplyResult SetTopicConfigs(TopicConfigsRecord r)
    {
        if (!_topics.TryGetValue(r.TopicId, out var topic))
            return UnknownTopic(r.TopicId);
        Put(topic with { Configs = new Dictionary<string, string>(r.Configs, StringComparer.Ordinal) });
        _delta.TopicConfigsChanged(r.TopicId, topic.Name);
        return ApplyResult.Ok;
    }

    /// <summary>A topic is in both maps, by id and by name, always the same record.</summary>
    private void Put(TopicMetadata topic)
    {
        _topics[topic.TopicId] = topic;
        _byName[topic.Name] = topic;
    }

    private ApplyResult SetBrokerConfigs(BrokerConfigsRecord r)
    {
        _brokerConfigs = new Dictionary<string, string>(r.Configs, StringComparer.Ordinal);
        _delta.BrokerConfigsChange();
        return ApplyResult.Ok;
    }

    private ApplyResult AllocateProducerIds(ProducerIdsRecord r)
    {
        var start = _nextProducerId;
        _nextProducerId += r.Count;
        _delta.ProducerIdsChange();
        return new ApplyResult(ErrorCode.None, null, start);
    }

    private static ApplyResult UnknownTopic(Guid id) =>
        ApplyResult.Fail(ErrorCode.UnknownTopicOrPartition, $"Unknown topic id {id}");
}
