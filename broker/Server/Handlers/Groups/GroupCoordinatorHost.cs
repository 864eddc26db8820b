using System.Globalization;
using System.Net;
using KafkaOperator.Groups;
using KafkaOperator.Groups.Persistence;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>How far a group is behind on one partition: the high watermark minus its committed offset.</summary>
public readonly record struct PartitionLag(TopicPartition Partition, long CommittedOffset, long LogEndOffset, long Lag);

/// <summary>
/// Wires the group coordinator into the broker: its __consumer_offsets logs are this node's replicas of that topic
/// (compacted, created on the first FindCoordinator for a group, as Kafka does), partitions are loaded at start
/// when the topic exists, and shutdown fails the waiting JoinGroup/SyncGroup requests with NOT_COORDINATOR so
/// clients move on instead of holding the broker's stop.
/// Exception policy: a failure to create or load the topic is logged and reported as COORDINATOR_NOT_AVAILABLE.
/// </summary>
public sealed class GroupCoordinatorHost : IDisposable
{
    private readonly BrokerServices _services;
    private readonly SemaphoreSlim _ensure = new(1, 1);
    private CancellationTokenRegistration _stopping;
    private GroupCoordinator? _coordinator;
    private Cluster.MetadataImage? _seen;

    public GroupCoordinatorHost(BrokerServices services) => _services = services;

    public GroupCoordinator Coordinator => _coordinator ?? throw new InvalidOperationException("the group coordinator has not started");

    public static GroupCoordinatorOptions OptionsFrom(Config.BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GroupCoordinatorOptions
        {
            InitialRebalanceDelayMs = config.GetInt("group.initial.rebalance.delay.ms"),
            MinSessionTimeoutMs = config.GetInt("group.min.session.timeout.ms"),
            MaxSessionTimeoutMs = config.GetInt("group.max.session.timeout.ms"),
            MaxSize = config.GetInt("group.max.size"),
            OffsetsTopicPartitions = config.OffsetsTopicNumPartitions,
            OffsetsRetentionMs = config.GetLong("offsets.retention.minutes") * 60_000,
            OffsetsRetentionCheckIntervalMs = config.GetLong("offsets.retention.check.interval.ms"),
            OffsetMetadataMaxBytes = config.GetInt("offset.metadata.max.bytes"),
        };
    }

    /// <summary>Creates the coordinator (after the replica manager started) and loads the partitions this node leads.</summary>
    public void Start()
    {
        var options = OptionsFrom(_services.Config);
        var existing = _services.Metadata.Image.Topic(OffsetsPartitioner.OffsetsTopic);
        var partitions = existing?.Partitions.Length ?? options.OffsetsTopicPartitions;
        var logs = new OffsetsTopicLogs(partitions, Resolve, p => _services.Replicas.Get(OffsetsPartitioner.OffsetsTopic, p)?.Signal.Notify());
        _coordinator = new GroupCoordinator(options, logs, TimeProvider.System, PartitionExists);
        _coordinator.Scheduler.Error += (key, ex) => Log.Error($"group coordinator timer {key.Replace('\0', '/')} failed", ex);
        if (existing is not null)
            LoadHosted(_coordinator);
        _stopping = _services.Stopping.Register(() => UnloadAll());
        // The replica manager subscribed first (it starts first), so Resolve already sees the new leaders.
        _services.Metadata.Changed += OnMetadataChanged;
    }

    /// <summary>
    /// Follows leadership of __consumer_offsets: loads partitions this node now leads, unloads the others. Only the
    /// partitions the delta changed, unless this broker's own registration changed (its leaderships start or stop
    /// all at once) or the delta does not follow the last image seen here (a snapshot; the first delta).
    /// </summary>
    private void OnMetadataChanged(Cluster.MetadataImage image, Cluster.MetadataDelta delta)
    {
        var seen = _seen;
        _seen = image; // the store publishes from one task, in order: no lock needed
        if (_coordinator is not { } coordinator || _services.Stopping.IsCancellationRequested || image.Topic(OffsetsPartitioner.OffsetsTopic) is not { } offsets)
            return;
        if (!delta.AppliesTo(seen) || delta.Brokers.Contains(_services.Config.NodeId))
        {
            for (var p = 0; p < coordinator.OffsetsPartitionCount; p++)
                Follow(coordinator, p);
            return;
        }
        if (!delta.Topics.TryGetValue(offsets.TopicId, out var changed))
            return;
        foreach (var p in changed.ChangedPartitions)
        {
            if (p < coordinator.OffsetsPartitionCount)
                Follow(coordinator, p);
        }
    }

    private void Follow(GroupCoordinator coordinator, int partition)
    {
        if (coordinator.IsLoaded(partition))
        {
            if (Resolve(partition) is null)
                coordinator.UnloadPartition(partition);
            return;
        }
        Load(coordinator, partition);
    }

    /// <summary>
    /// The replication factor of <c>__consumer_offsets</c>: offsets.topic.replication.factor when set, else 1 on a
    /// quorum of one voter (a single node, which can hold one replica only) and Kafka's default 3 elsewhere.
    /// </summary>
    public static int OffsetsTopicReplicationFactor(BrokerConfig config, int voters)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Static("offsets.topic.replication.factor") is null && voters == 1 ? 1 : config.GetInt("offsets.topic.replication.factor");
    }

    /// <summary>
    /// Makes sure __consumer_offsets exists and the partitions this node leads are loaded; false when the topic
    /// could not be created. A partition that failed to load stays unserved (its groups get
    /// COORDINATOR_NOT_AVAILABLE) and is retried on the next call.
    /// </summary>
    public async ValueTask<bool> EnsureReadyAsync(CancellationToken cancellationToken)
    {
        var coordinator = Coordinator;
        if (_services.Metadata.Image.Topic(OffsetsPartitioner.OffsetsTopic) is not null && AllLoaded(coordinator))
            return true;
        await _ensure.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_services.Metadata.Image.Topic(OffsetsPartitioner.OffsetsTopic) is null)
            {
                var configs = new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    ["cleanup.policy"] = "compact",
                    ["compression.type"] = "producer",
                    ["segment.bytes"] = _services.Config.GetInt("offsets.topic.segment.bytes").ToString(CultureInfo.InvariantCulture),
                };
                // A cluster with fewer live brokers than offsets.topic.replication.factor asks for has no coordinator
                // yet (COORDINATOR_NOT_AVAILABLE), as in Kafka; unset on a one-voter quorum (a single node), it is 1.
                var rf = (short)OffsetsTopicReplicationFactor(_services.Config, _services.Quorum.Voters.Count);
                var created = await _services.Topics.CreateAsync(OffsetsPartitioner.OffsetsTopic, coordinator.OffsetsPartitionCount, rf, null, configs, false, cancellationToken).ConfigureAwait(false);
                if (created.Error is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
                {
                    Log.Error($"creating {OffsetsPartitioner.OffsetsTopic} failed: {created.Error} {created.Message}");
                    return false;
                }
            }
            LoadHosted(coordinator);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Error($"preparing {OffsetsPartitioner.OffsetsTopic} failed", ex);
            return false;
        }
        finally
        {
            _ensure.Release();
        }
    }

    /// <summary>The group's lag on every partition it committed to (log end = high watermark, what consumers can read).</summary>
    public IReadOnlyList<PartitionLag> Lag(string groupId)
    {
        var result = new List<PartitionLag>();
        foreach (var (tp, committed) in Coordinator.CommittedOffsets(groupId).OrderBy(kv => kv.Key.Topic, StringComparer.Ordinal).ThenBy(kv => kv.Key.Partition))
        {
            if (_services.Replicas.Get(tp.Topic, tp.Partition) is not { } partition)
                continue;
            var end = partition.HighWatermark;
            result.Add(new PartitionLag(tp, committed.Offset, end, Math.Max(0, end - committed.Offset)));
        }
        return result;
    }

    /// <summary>At shutdown: stops serving groups, so waiting JoinGroup/SyncGroup requests answer NOT_COORDINATOR at once.</summary>
    public void ReleaseWaiters() => UnloadAll();

    /// <summary>"/ip" as Kafka reports a member's host (Java's InetAddress.toString without a host name).</summary>
    public static string ClientHost(EndPoint? remote) => remote is IPEndPoint ip ? "/" + ip.Address : "";

    public void Dispose()
    {
        _services.Metadata.Changed -= OnMetadataChanged;
        _stopping.Dispose();
        UnloadAll();
        _coordinator?.Dispose();
        _ensure.Dispose();
    }

    private void UnloadAll()
    {
        if (_coordinator is not { } coordinator)
            return;
        for (var p = 0; p < coordinator.OffsetsPartitionCount; p++)
            coordinator.UnloadPartition(p);
    }

    private void LoadHosted(GroupCoordinator coordinator)
    {
        for (var p = 0; p < coordinator.OffsetsPartitionCount; p++)
        {
            if (!coordinator.IsLoaded(p))
                Load(coordinator, p);
        }
    }

    private void Load(GroupCoordinator coordinator, int partition)
    {
        if (Resolve(partition) is null)
            return;
        try
        {
            coordinator.LoadPartition(partition);
        }
        catch (Exception ex)
        {
            Log.Error($"loading {OffsetsPartitioner.OffsetsTopic}-{partition.ToString(CultureInfo.InvariantCulture)} failed; its groups are not served", ex);
        }
    }

    private static bool AllLoaded(GroupCoordinator coordinator)
    {
        for (var p = 0; p < coordinator.OffsetsPartitionCount; p++)
        {
            if (!coordinator.IsLoaded(p))
                return false;
        }
        return true;
    }

    private OffsetsPartitionLog? Resolve(int partition) =>
        _services.Replicas.Get(OffsetsPartitioner.OffsetsTopic, partition) is { } p
            ? new OffsetsPartitionLog(p.Log, p.LeaderEpoch, records => (p.Append(records, 1) is var r && r.Error == ErrorCode.None, r.Error, r.LastOffset))
            : null;

    private bool PartitionExists(TopicPartition tp) =>
        _services.Metadata.Image.Topic(tp.Topic) is { } topic && tp.Partition >= 0 && tp.Partition < topic.Partitions.Length;
}
