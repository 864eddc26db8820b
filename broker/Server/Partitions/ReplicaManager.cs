using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Partitions;

/// <summary>
/// The partitions this node hosts, kept in step with the metadata image: a new topic or partition opens its log,
/// a deleted topic removes its logs, a config change reaches the live logs, each commit by its
/// <see cref="MetadataDelta"/>. Lookups read per-topic arrays that are never changed once published (no locks on
/// the produce/fetch path). In a multi-broker cluster a node opens the logs of the partitions it holds a
/// replica of, one <see cref="Partition"/> each for the life of the process, whose role follows the committed metadata;
/// clients are served (<see cref="Get(string, int)"/>) only where it leads. Storage's <see cref="LogManager"/> owns loading, recovery, retention, the
/// flusher, checkpoints and the clean-shutdown marker.
/// Exception policy: a log that cannot be opened is logged and left out; when it exists on disk but failed to load
/// (an I/O error: the storage's offline logs) its partition answers KAFKA_STORAGE_ERROR and Metadata reports the
/// replica offline with no leader, as Kafka does for a partition on an offline log dir; otherwise it answers
/// UNKNOWN_TOPIC_OR_PARTITION. LogManager start-up failures of a whole log dir propagate (the broker does not start).
/// </summary>
public sealed class ReplicaManager : IDisposable
{
    private readonly BrokerConfig _config;
    private readonly IMetadataStore _store;
    private readonly Metrics.HotKeys.HotKeyOptions _hotKeys;
    private readonly Lock _reconcileLock = new();
    private LogManager? _logs;
    private bool _disposed;

    // The hosted partitions by topic name and id, read without locks by every produce and fetch; written under
    // _reconcileLock one topic at a time: a changed topic gets a new array (copy on write), so a reader holding the
    // old one never sees it change, and the other topics' entries are untouched.
    private readonly ConcurrentDictionary<string, Partition?[]> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, Partition?[]> _byId = new();

    // Under _reconcileLock: the topic names (a deleted topic's logs go by its name), the image last applied and
    // this broker's epoch and registration then (its leaderships depend on them, see LocalView).
    private readonly Dictionary<Guid, string> _names = [];
    private MetadataImage? _applied;
    private (long Epoch, BrokerInfo? Info) _self = (-2, null);

    // Under _reconcileLock, during a full pass: the followers' fetcher registrations, made at once when it ends.
    private List<(Partition Partition, int LeaderId, int LeaderEpoch)>? _deferredFetches;

    public ReplicaManager(BrokerConfig config, IMetadataStore store)
    {
        _config = config;
        _store = store;
        _hotKeys = Metrics.HotKeys.HotKeyConfig.From(config);
    }

    public LogManager Logs => _logs ?? throw new InvalidOperationException("ReplicaManager not started");

    /// <summary>Loads the logs on disk, opens the ones the image needs, deletes orphans, follows changes.</summary>
    public void Start()
    {
        var loading = Stopwatch.StartNew();
        // Once per topic, not per partition: the loader threads ask for every one of 10,000 partitions of a topic.
        var topicConfigs = new ConcurrentDictionary<string, LogConfig?>(StringComparer.Ordinal);
        _logs = new LogManager(_config.LogDirs, ToLogConfig(TopicConfig.Create(_config, null)), new LogManagerOptions
        {
            RetentionCheckIntervalMs = _config.LogRetentionCheckIntervalMs,
            ProducerIdExpirationMs = _config.GetInt("producer.id.expiration.ms"),
            TopicConfig = topic => topicConfigs.GetOrAdd(topic, n => _store.Image.Topic(n) is { } t ? ToLogConfig(TopicConfig.Create(_config, t.Configs)) : null),
            Warn = Log.Warn,
        });
        Log.Info($"start-up: {_logs.AllLogs.Count} partition log(s) loaded in {loading.ElapsedMilliseconds} ms ({(_logs.HadCleanShutdown ? "clean shutdown: nothing recovered" : "recovered from the recovery points")})");
        var image = _store.Image;
        foreach (var ((topic, partition), offline) in _logs.OfflineLogs)
            Log.Error($"partition {topic}-{partition.ToString(CultureInfo.InvariantCulture)} is offline (KAFKA_STORAGE_ERROR until a restart): {offline.Reason}");
        foreach (var ignored in _logs.IgnoredDirectories)
            Log.Warn($"ignoring {ignored.Directory} in a log dir: not a partition ({ignored.Reason}); it is neither loaded nor deleted");
        DeleteOrphans(image);
        Reconcile(image);
        _store.Changed += OnChanged;
        _config.Changed += RefreshConfigs;
    }

    /// <summary>
    /// Deletes the logs of partitions the cluster metadata does not have (a topic deleted while this broker was
    /// down, or a crash between the metadata change and the rename). Only against a complete view: a broker that
    /// has not caught up with the quorum would otherwise delete every topic created since it last ran.
    /// </summary>
    private void DeleteOrphans(MetadataImage image)
    {
        var orphans = _logs!.AllLogs
            .Where(log => image.Topic(log.Topic) is not { } topic || log.Partition >= topic.Partitions.Length)
            .ToList();
        if (orphans.Count == 0)
            return;
        if (!_store.IsComplete)
        {
            Log.Warn($"keeping {orphans.Count} partition log(s) the cluster metadata does not have (e.g. {orphans[0].Directory}): this broker's view of the metadata may be incomplete");
            return;
        }
        foreach (var log in orphans)
        {
            var name = $"{log.Topic}-{log.Partition.ToString(CultureInfo.InvariantCulture)}";
            if (_logs.DeleteOrphanLog(log.Topic, log.Partition) is { } deleted)
                Log.Warn($"deleting partition {name} ({deleted.SizeInBytes.ToString(CultureInfo.InvariantCulture)} bytes, renamed {Path.GetFileName(deleted.RenamedTo)}): not in the cluster metadata");
        }
    }

    /// <summary>The partition if this node leads it now (what produce, consumer fetches and the coordinator use).</summary>
    public Partition? Get(string topic, int partition) => GetHosted(topic, partition) is { IsLeader: true } p ? p : null;

    public Partition? Get(Guid topicId, int partition) => GetHosted(topicId, partition) is { IsLeader: true } p ? p : null;

    /// <summary>The partition if this node holds a replica of it, leader or follower.</summary>
    public Partition? GetHosted(string topic, int partition)
    {
        if (!_byName.TryGetValue(topic, out var parts) || (uint)partition >= (uint)parts.Length)
            return null;
        return parts[partition];
    }

    public Partition? GetHosted(Guid topicId, int partition)
    {
        if (!_byId.TryGetValue(topicId, out var parts) || (uint)partition >= (uint)parts.Length)
            return null;
        return parts[partition];
    }

    /// <summary>Every partition this node holds a replica of.</summary>
    public IEnumerable<Partition> Hosted => _byName.SelectMany(kv => kv.Value).OfType<Partition>();

    /// <summary>Whether the partition's log is on disk but failed to load (its requests answer KAFKA_STORAGE_ERROR).</summary>
    public bool IsOffline(string topic, int partition) => _logs?.IsOffline(topic, partition) == true;

    /// <summary>The error for a partition <see cref="Get(string, int)"/> did not find: offline or unknown.</summary>
    public ErrorCode MissingError(string topic, int partition)
    {
        if (IsOffline(topic, partition))
            return ErrorCode.KafkaStorageError;
        // The partition exists but another broker leads it (or nobody does while its replica is fenced): clients
        // refresh their metadata on this error, as they do against Kafka.
        return _store.Image.Topic(topic) is { } t && (uint)partition < (uint)t.Partitions.Length
            ? ErrorCode.NotLeaderOrFollower
            : ErrorCode.UnknownTopicOrPartition;
    }

    private bool HoldsReplica(PartitionMetadata partition) =>
        Array.IndexOf(partition.Replicas, _config.NodeId) >= 0;

    /// <summary>The error for a partition <see cref="Get(Guid, int)"/> did not find: offline or unknown.</summary>
    public ErrorCode MissingError(Guid topicId, int partition) =>
        _store.Image.Topic(topicId) is { } topic ? MissingError(topic.Name, partition) : ErrorCode.UnknownTopicOrPartition;

    /// <summary>The storage view of a topic config (the keys PartitionLog understands).</summary>
    public static LogConfig ToLogConfig(TopicConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var props = new List<KeyValuePair<string, string?>>(LogConfig.Keys.Count);
        foreach (var key in LogConfig.Keys)
            props.Add(new(key, config.Value(key)));
        return LogConfig.FromProperties(props);
    }

    /// <summary>Flushes, writes checkpoints and the clean-shutdown marker, closes every log.</summary>
    public void Dispose()
    {
        lock (_reconcileLock)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _store.Changed -= OnChanged;
        _config.Changed -= RefreshConfigs;
        foreach (var (_, parts) in _byName)
        {
            foreach (var p in parts)
                p?.Signal.Notify();
        }
        _logs?.Dispose();
    }

    /// <summary>
    /// Applies what a commit changed: the topics deleted, then (a name may be reused in the same delta) the
    /// partitions created, added or changed, and every hosted partition of a topic whose configs changed. A change to
    /// 3 of 100,000 partitions costs 3. The whole image is walked instead when the delta does not follow the image
    /// applied here (a snapshot was loaded; an image published before this subscribed). When this broker's own
    /// registration or epoch changed, every leadership it holds may start or stop (<see cref="LocalView"/>), so the
    /// partitions the image says it leads, or that lead here now, are applied again too.
    /// </summary>
    private void OnChanged(MetadataImage image, MetadataDelta delta)
    {
        lock (_reconcileLock)
        {
            if (_disposed || _logs is null)
                return;
            var self = Self(image);
            if (ReferenceEquals(image, _applied))
            {
                if (self != _self)
                    ApplySelf(image, self);
                return; // applied already (Refresh ran between the publish and this call)
            }
            var started = Stopwatch.GetTimestamp();
            _timing = default;
            if (!delta.AppliesTo(_applied))
            {
                ApplyAll(image, self);
                TraceIfSlow(started, "the whole image");
                return;
            }
            foreach (var topic in delta.Topics.Values)
            {
                if (topic.Deleted)
                    RemoveTopic(topic.TopicId);
            }
            foreach (var change in delta.Topics.Values)
            {
                if (image.Topic(change.TopicId) is not { } topic)
                    continue;
                if (change.Created || change.ConfigsChanged || !_byId.ContainsKey(topic.TopicId))
                    ApplyTopic(image, topic, null);
                else
                    ApplyTopic(image, topic, change.ChangedPartitions);
            }
            _applied = image;
            if (self != _self)
                ApplySelf(image, self);
            TraceIfSlow(started, "a delta");
        }
    }

    /// <summary>
    /// This broker's registration or epoch changed (it registered, was fenced or unfenced): only leaderships depend on
    /// that (<see cref="LocalView"/>), so only the partitions the image says it leads and those leading here now are
    /// applied again. A restart of 100,000 replicas changes it twice (registered, then unfenced), and each time walked
    /// and re-applied every replica before it could serve (seconds each).
    /// </summary>
    private void ApplySelf(MetadataImage image, (long Epoch, BrokerInfo? Info) self)
    {
        var clock = Stopwatch.StartNew();
        _self = self;
        var nodeId = _config.NodeId;
        var applied = 0;
        List<int>? indexes = null;
        foreach (var topic in image.TopicsById.Values)
        {
            var hosted = _byId.GetValueOrDefault(topic.TopicId);
            for (var i = 0; i < topic.Partitions.Length; i++)
            {
                if (topic.Partitions[i].Leader == nodeId || (hosted is not null && i < hosted.Length && hosted[i] is { IsLeader: true }))
                    (indexes ??= []).Add(i);
            }
            if (indexes is { Count: > 0 })
            {
                ApplyTopic(image, topic, indexes);
                applied += indexes.Count;
                indexes = null;
            }
        }
        Log.Info($"replica manager: broker epoch {self.Epoch} ({(self.Info is null ? "not registered" : self.Info.Fenced ? "fenced" : "unfenced")}): {applied} partition(s) it leads applied again in {clock.ElapsedMilliseconds} ms");
    }

    // Where a large commit's apply goes (a fencing or a controlled shutdown moves thousands of leaderships at once):
    // counted for every commit (a few timestamps per changed partition), logged only when the apply was slow.
    private ApplyTiming _timing;

    private struct ApplyTiming
    {
        public int Leader, Follower, Isr;
        public long RoleTicks, FetcherTicks, OpenTicks;
    }

    private void TraceIfSlow(long started, string what)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed.TotalMilliseconds < 50)
            return;
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var t = _timing;
        Log.Info($"trace: replica manager applied {what} in {elapsed.TotalMilliseconds:0} ms: became leader {t.Leader}, follower {t.Follower}, ISR changed {t.Isr}; role switches {Ms(t.RoleTicks):0} ms, fetcher changes {Ms(t.FetcherTicks):0} ms, opening logs {Ms(t.OpenTicks):0} ms; done t={Log.Micros()}");
    }

    /// <summary>Walks the whole image: at start, and when an image was published that this manager did not apply.</summary>
    private void Reconcile(MetadataImage image)
    {
        lock (_reconcileLock)
        {
            if (_disposed || _logs is null)
                return;
            var self = Self(image);
            if (!ReferenceEquals(image, _applied))
                ApplyAll(image, self);
            else if (self != _self)
                ApplySelf(image, self);
        }
    }

    private (long Epoch, BrokerInfo? Info) Self(MetadataImage image) =>
        (BrokerEpoch?.Invoke() ?? -1, image.Brokers.GetValueOrDefault(_config.NodeId));

    private void ApplyAll(MetadataImage image, (long Epoch, BrokerInfo? Info) self)
    {
        var clock = Stopwatch.StartNew();
        foreach (var id in _names.Keys.Where(id => !image.TopicsById.ContainsKey(id)).ToList())
            RemoveTopic(id);
        _deferredFetches = [];
        try
        {
            foreach (var topic in image.TopicsById.Values)
                ApplyTopic(image, topic, null);
        }
        finally
        {
            // Each replica is applied once per pass, so none of these can have been removed again meanwhile.
            var fetches = _deferredFetches;
            _deferredFetches = null;
            if (fetches.Count > 0)
                Fetchers?.AddAll(fetches);
        }
        _applied = image;
        _self = self;
        // Full passes are rare (start, a snapshot, this broker's registration changed) and cost per partition: a
        // restart of 100,000 partitions spends seconds in them, so each says what it cost.
        Log.Info($"replica manager: full pass over {image.TopicsById.Count} topic(s) in {clock.ElapsedMilliseconds} ms (broker epoch {self.Epoch}, {(self.Info is null ? "not registered" : self.Info.Fenced ? "fenced" : "unfenced")})");
    }

    private void RemoveTopic(Guid id)
    {
        if (!_names.Remove(id, out var name))
            return;
        // By this manager's own name entry: a topic whose partitions are all offline has no Partition to name it.
        _byId.TryRemove(id, out var parts);
        _byName.TryRemove(name, out _);
        foreach (var p in parts ?? [])
            p?.Signal.Notify();
        try
        {
            _logs!.DeleteTopic(name);
        }
        catch (Exception ex)
        {
            Log.Error($"deleting the logs of {name} failed", ex);
        }
    }

    /// <summary>
    /// Makes the hosted replicas of <paramref name="partitions"/> (null: all) of a topic what the image says. The
    /// topic's array is copied only when a partition opens, stops or is added, so readers never see it change.
    /// </summary>
    private void ApplyTopic(MetadataImage image, TopicMetadata topic, IEnumerable<int>? partitions)
    {
        var existing = _byId.GetValueOrDefault(topic.TopicId);
        var parts = existing;
        if (parts is null || parts.Length < topic.Partitions.Length)
        {
            parts = new Partition?[topic.Partitions.Length];
            existing?.CopyTo(parts, 0);
        }
        var copied = !ReferenceEquals(parts, existing);
        TopicConfig? config = null;
        LogConfig? logConfig = null; // once per topic: 100,000 partitions' first pass parsed it 100,000 times
        var configChanged = false;
        foreach (var i in partitions ?? Enumerable.Range(0, topic.Partitions.Length))
        {
            if ((uint)i >= (uint)topic.Partitions.Length)
                continue;
            var meta = topic.Partitions[i];
            var current = parts[i];
            if (!HoldsReplica(meta))
            {
                // No replica here (any more): a reassignment moved it away, so it stops and its log goes
                // (Kafka's StopReplica with deletion), once this view of the metadata is known complete.
                if (current is not null)
                {
                    Fetchers?.Remove(current);
                    current.StopReplica();
                    if (!copied)
                    {
                        parts = (Partition?[])parts.Clone();
                        copied = true;
                    }
                    parts[i] = null;
                }
                if (_store.IsComplete)
                    DeleteRemovedReplica(topic.Name, i);
                continue;
            }
            if (current is not null)
            {
                if (!SameOverrides(current.Config.Overrides, topic.Configs))
                {
                    current.SetConfig(config ??= TopicConfig.Create(_config, topic.Configs));
                    configChanged = true;
                }
            }
            else
            {
                config ??= TopicConfig.Create(_config, topic.Configs);
                var opening = Stopwatch.GetTimestamp();
                current = Open(topic, meta, config, logConfig ??= ToLogConfig(config));
                _timing.OpenTicks += Stopwatch.GetTimestamp() - opening;
                if (current is null)
                    continue;
                if (!copied)
                {
                    parts = (Partition?[])parts.Clone();
                    copied = true;
                }
                parts[i] = current;
            }
            ApplyRole(current, image, meta);
        }
        if (configChanged)
            _logs!.UpdateTopicConfig(topic.Name, ToLogConfig(config!));
        if (copied)
        {
            _byId[topic.TopicId] = parts;
            _byName[topic.Name] = parts;
            _names[topic.TopicId] = topic.Name;
        }
    }

    private void DeleteRemovedReplica(string topic, int partition)
    {
        if (_logs!.GetLog(topic, partition) is null)
            return;
        try
        {
            if (_logs.DeleteOrphanLog(topic, partition) is { } deleted)
                Log.Info($"deleting replica {topic}-{partition.ToString(CultureInfo.InvariantCulture)} ({deleted.SizeInBytes.ToString(CultureInfo.InvariantCulture)} bytes): this broker is no longer one of its replicas");
        }
        catch (Exception ex)
        {
            Log.Error($"deleting the replica {topic}-{partition.ToString(CultureInfo.InvariantCulture)} failed", ex);
        }
    }

    /// <summary>
    /// Makes the replica what the metadata says. Fetching stops before a replica becomes leader (no follower append
    /// can land after it leads) and starts, from the new leader, once it follows.
    /// </summary>
    private void ApplyRole(Partition partition, MetadataImage image, PartitionMetadata meta)
    {
        if (BrokerEpoch is { } brokerEpoch)
            meta = LocalView(image, meta, _config.NodeId, brokerEpoch());
        var leads = meta.Leader == _config.NodeId;
        var t0 = Stopwatch.GetTimestamp();
        if (leads)
            Fetchers?.Remove(partition);
        partition.IsrChannel = IsrChannel;
        var isrBefore = partition.Role.Isr.Length;
        var t1 = Stopwatch.GetTimestamp();
        var change = partition.ApplyMetadata(meta, Environment.TickCount64);
        var t2 = Stopwatch.GetTimestamp();
        if (change is RoleChange.IsrChanged && leads)
            Stats.IsrChanged(isrBefore, partition.Role.Isr.Length);
        if (change is RoleChange.BecameFollower)
        {
            // Add replaces the partition's earlier fetcher; with no leader there is nothing to fetch from.
            if (meta.Leader >= 0 && _deferredFetches is not null)
                _deferredFetches.Add((partition, meta.Leader, meta.LeaderEpoch));
            else if (meta.Leader >= 0)
                Fetchers?.Add(partition, meta.Leader, meta.LeaderEpoch);
            else
                Fetchers?.Remove(partition);
        }
        _timing.RoleTicks += t2 - t1;
        _timing.FetcherTicks += (t1 - t0) + (Stopwatch.GetTimestamp() - t2);
        switch (change)
        {
            case RoleChange.BecameLeader: _timing.Leader++; break;
            case RoleChange.BecameFollower: _timing.Follower++; break;
            case RoleChange.IsrChanged: _timing.Isr++; break;
        }
    }

    /// <summary>
    /// The partition as this broker may act on it. A leadership held by this broker's id is taken only once this
    /// process has registered (the image shows <paramref name="brokerEpoch"/>) and is unfenced: until then it may be a
    /// leadership of the previous process, which a power loss may have left without records the ISR acknowledged.
    /// Leading in that old epoch on the shorter log would make the followers truncate to it (their divergence check
    /// trusts the leader of the epoch) and overwrite committed offsets with new records. The controller moves such
    /// leaderships (a restarted broker registers fenced) before it unfences the broker, so this waits for that move.
    /// Found by the replication simulation (a power loss then a restart within the session timeout).
    /// </summary>
    public static PartitionMetadata LocalView(MetadataImage image, PartitionMetadata meta, int nodeId, long brokerEpoch)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(meta);
        if (meta.Leader != nodeId)
            return meta;
        var registered = brokerEpoch >= 0 && image.Brokers.TryGetValue(nodeId, out var self) && self.Epoch == brokerEpoch && !self.Fenced;
        return registered ? meta : meta with { Leader = -1 };
    }

    /// <summary>ISR shrinks and expands of the partitions this broker leads.</summary>
    public Metrics.ReplicaStats Stats { get; } = new();

    /// <summary>Applies the current image again (after this broker registered: leaderships may be taken now).</summary>
    public void Refresh() => Reconcile(_store.Image);

    /// <summary>Set by the broker in a cluster: this process's broker epoch (-1 until it registered), see <see cref="LocalView"/>.</summary>
    public Func<long>? BrokerEpoch { get; set; }

    /// <summary>Set by the broker in a cluster: the replica fetchers that make followers copy their leaders.</summary>
    public Replication.ReplicaFetcherManager? Fetchers { get; set; }

    /// <summary>Set by the broker in a cluster: where leaders send ISR changes.</summary>
    public IIsrChangeChannel? IsrChannel { get; set; }

    private Partition? Open(TopicMetadata topic, PartitionMetadata meta, TopicConfig config, LogConfig logConfig)
    {
        if (_logs!.IsOffline(topic.Name, meta.Partition))
            return null;
        try
        {
            var log = _logs!.GetOrCreateLog(topic.Name, meta.Partition, logConfig);
            return new Partition(topic.Name, topic.TopicId, meta.Partition, _config.NodeId, log, config) { KeyStats = new(_hotKeys) };
        }
        catch (Exception ex)
        {
            Log.Error($"cannot open log for {topic.Name}-{meta.Partition.ToString(CultureInfo.InvariantCulture)}", ex);
            return null;
        }
    }

    private void RefreshConfigs()
    {
        lock (_reconcileLock)
        {
            if (_disposed || _logs is null)
                return;
            _logs.UpdateDefaultConfig(ToLogConfig(TopicConfig.Create(_config, null)));
            foreach (var (_, parts) in _byName)
            {
                TopicConfig? refreshed = null;
                foreach (var p in parts)
                {
                    if (p is null)
                        continue;
                    refreshed ??= p.Config.Refresh();
                    p.SetConfig(refreshed);
                }
                if (refreshed is not null)
                    _logs.UpdateTopicConfig(parts.First(p => p is not null)!.Topic, ToLogConfig(refreshed));
            }
        }
    }

    private static bool SameOverrides(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        if (a.Count != b.Count)
            return false;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var other) || other != v)
                return false;
        }
        return true;
    }
}
