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
/// epoch) changes nothing and reports why. Partition leadership follows broker liveness here: with one replica a
/// partition has a leader exactly while its broker is unfenced.
/// </summary>
public sealed class MetadataStateMachine
{
    private readonly Dictionary<Guid, TopicMetadata> _topics;
    private readonly Dictionary<int, BrokerInfo> _brokers;
    private Dictionary<string, string> _brokerConfigs;
    private long _nextProducerId;

    public MetadataStateMachine(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _topics = new Dictionary<Guid, TopicMetadata>(image.TopicsById);
        _brokers = new Dictionary<int, BrokerInfo>(image.Brokers);
        _brokerConfigs = new Dictionary<string, string>(image.BrokerConfigs, StringComparer.Ordinal);
        _nextProducerId = image.NextProducerId;
    }

    public MetadataImage ToImage(int controllerId)
    {
        var byName = new Dictionary<string, TopicMetadata>(_topics.Count, StringComparer.Ordinal);
        foreach (var t in _topics.Values)
            byName[t.Name] = t;
        return new MetadataImage(byName, new Dictionary<Guid, TopicMetadata>(_topics), new Dictionary<string, string>(_brokerConfigs, StringComparer.Ordinal),
            _nextProducerId, new Dictionary<int, BrokerInfo>(_brokers), controllerId);
    }

    public ApplyResult Apply(MetadataRecord record, long offset) => record switch
    {
        BarrierRecord => ApplyResult.Ok,
        RegisterBrokerRecord r => Register(r, offset),
        FenceBrokerRecord r => SetFenced(r.BrokerId, r.Epoch, fenced: true),
        UnfenceBrokerRecord r => SetFenced(r.BrokerId, r.Epoch, fenced: false),
        CreateTopicRecord r => CreateTopic(r),
        DeleteTopicRecord r => _topics.Remove(r.TopicId) ? ApplyResult.Ok : UnknownTopic(r.TopicId),
        AddPartitionsRecord r => AddPartitions(r),
        TopicConfigsRecord r => EditTopic(r.TopicId, t => t with { Configs = new Dictionary<string, string>(r.Configs, StringComparer.Ordinal) }),
        BrokerConfigsRecord r => SetBrokerConfigs(r),
        ProducerIdsRecord r => AllocateProducerIds(r),
        _ => ApplyResult.Fail(ErrorCode.UnknownServerError, $"unknown metadata record {record.GetType().Name}"),
    };

    private ApplyResult Register(RegisterBrokerRecord r, long offset)
    {
        var endpoints = r.Endpoints.Select(e => new BrokerEndpoint(e.Name, e.Host, e.Port)).ToList();
        _brokers[r.BrokerId] = new BrokerInfo(r.BrokerId, offset, endpoints, r.Rack, Fenced: false);
        ElectLeaderless(r.BrokerId);
        return new ApplyResult(ErrorCode.None, null, offset);
    }

    private ApplyResult SetFenced(int brokerId, long epoch, bool fenced)
    {
        if (!_brokers.TryGetValue(brokerId, out var broker) || broker.Epoch != epoch)
            return ApplyResult.Fail(ErrorCode.StaleBrokerEpoch, $"broker {brokerId} is not registered with epoch {epoch}");
        if (broker.Fenced == fenced)
            return ApplyResult.Ok;
        _brokers[brokerId] = broker with { Fenced = fenced };
        if (fenced)
            MoveLeadershipOff(brokerId);
        else
            ElectLeaderless(brokerId);
        return ApplyResult.Ok;
    }

    /// <summary>Partitions led by a fenced broker go to another live replica, or to no leader (the ISR keeps its last member, as in Kafka).</summary>
    private void MoveLeadershipOff(int brokerId) => Reelect(p => p.Leader == brokerId);

    /// <summary>Leaderless partitions that <paramref name="brokerId"/> holds a replica of get a leader again.</summary>
    private void ElectLeaderless(int brokerId) => Reelect(p => p.Leader < 0 && Array.IndexOf(p.Replicas, brokerId) >= 0);

    /// <summary>Elects a leader anew, in a new leader epoch, for every partition <paramref name="affected"/> selects.</summary>
    private void Reelect(Func<PartitionMetadata, bool> affected)
    {
        foreach (var topic in _topics.Values.ToList())
        {
            PartitionMetadata[]? parts = null;
            for (var i = 0; i < topic.Partitions.Length; i++)
            {
                var p = topic.Partitions[i];
                if (!affected(p))
                    continue;
                parts ??= (PartitionMetadata[])topic.Partitions.Clone();
                parts[i] = p with { Leader = ElectLeader(p.Replicas), LeaderEpoch = p.LeaderEpoch + 1 };
            }
            if (parts is not null)
                _topics[topic.TopicId] = topic with { Partitions = parts };
        }
    }

    private int ElectLeader(int[] replicas)
    {
        foreach (var r in replicas)
        {
            if (_brokers.TryGetValue(r, out var b) && !b.Fenced)
                return r;
        }
        return -1;
    }

    private ApplyResult CreateTopic(CreateTopicRecord r)
    {
        foreach (var t in _topics.Values)
        {
            if (t.Name == r.Name)
                return ApplyResult.Fail(ErrorCode.TopicAlreadyExists, $"Topic '{r.Name}' already exists.");
        }
        if (_topics.ContainsKey(r.TopicId))
            return ApplyResult.Fail(ErrorCode.TopicAlreadyExists, $"Topic id {r.TopicId} already exists.");
        var parts = new PartitionMetadata[r.Replicas.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = NewPartition(i, r.Replicas[i]);
        _topics[r.TopicId] = new TopicMetadata(r.Name, r.TopicId, parts, new Dictionary<string, string>(r.Configs, StringComparer.Ordinal));
        return ApplyResult.Ok;
    }

    private ApplyResult AddPartitions(AddPartitionsRecord r)
    {
        if (!_topics.TryGetValue(r.TopicId, out var topic))
            return UnknownTopic(r.TopicId);
        var parts = new List<PartitionMetadata>(topic.Partitions);
        foreach (var replicas in r.Replicas)
            parts.Add(NewPartition(parts.Count, replicas));
        _topics[r.TopicId] = topic with { Partitions = [.. parts] };
        return ApplyResult.Ok;
    }

    private PartitionMetadata NewPartition(int index, int[] replicas) =>
        new(index, ElectLeader(replicas), 0, replicas, replicas);

    private ApplyResult EditTopic(Guid id, Func<TopicMetadata, TopicMetadata> edit)
    {
        if (!_topics.TryGetValue(id, out var topic))
            return UnknownTopic(id);
        _topics[id] = edit(topic);
        return ApplyResult.Ok;
    }

    private ApplyResult SetBrokerConfigs(BrokerConfigsRecord r)
    {
        _brokerConfigs = new Dictionary<string, string>(r.Configs, StringComparer.Ordinal);
        return ApplyResult.Ok;
    }

    private ApplyResult AllocateProducerIds(ProducerIdsRecord r)
    {
        var start = _nextProducerId;
        _nextProducerId += r.Count;
        return new ApplyResult(ErrorCode.None, null, start);
    }

    private static ApplyResult UnknownTopic(Guid id) =>
        ApplyResult.Fail(ErrorCode.UnknownTopicOrPartition, $"Unknown topic id {id}");
}
