using System.Globalization;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Storage;
using KafkaOperator.Storage.Checkpoints;

namespace KafkaOperator.Server.Partitions;

/// <summary>
/// The partitions this node hosts, kept in step with the metadata image: a new topic or partition in the image
/// opens its log, a deleted topic closes and removes its logs, a config change is applied to the live logs.
/// Lookups read an immutable snapshot (no locks on the produce/fetch path). Owns the background maintenance
/// (flush.ms, retention) and the checkpoints written at shutdown (recovery point, log start, high watermark,
/// clean-shutdown marker) that the next start reads back.
/// Exception policy: a log that cannot be opened is logged and left out (its partition answers
/// KAFKA_STORAGE_ERROR / UNKNOWN_TOPIC_OR_PARTITION); checkpoint write failures are logged.
/// </summary>
public sealed class ReplicaManager : IDisposable
{
    public const string RecoveryPointCheckpoint = "recovery-point-offset-checkpoint";
    public const string LogStartCheckpoint = "log-start-offset-checkpoint";
    public const string HighWatermarkCheckpoint = "replication-offset-checkpoint";
    public const string CleanShutdownFile = ".kafka_cleanshutdown";

    private readonly BrokerConfig _config;
    private readonly IMetadataStore _store;
    private readonly string _logDir;
    private readonly PartitionLogOptions _options;
    private readonly Lock _reconcileLock = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private Dictionary<(string, int), long> _recoveryPoints = [];
    private Dictionary<(string, int), long> _logStarts = [];
    private Dictionary<(string, int), long> _highWatermarks = [];
    private bool _hadCleanShutdown;
    private Task? _maintenance;
    private bool _disposed;

    public ReplicaManager(BrokerConfig config, IMetadataStore store)
    {
        _config = config;
        _store = store;
        _logDir = config.LogDirs[0];
        _options = new PartitionLogOptions { ProducerIdExpirationMs = config.GetInt("producer.id.expiration.ms") };
    }

    /// <summary>Opens the logs of every partition in the current image and starts following changes.</summary>
    public void Start()
    {
        var marker = Path.Combine(_logDir, CleanShutdownFile);
        _hadCleanShutdown = File.Exists(marker);
        _recoveryPoints = CheckpointFile.ReadOffsets(Path.Combine(_logDir, RecoveryPointCheckpoint));
        _logStarts = CheckpointFile.ReadOffsets(Path.Combine(_logDir, LogStartCheckpoint));
        _highWatermarks = CheckpointFile.ReadOffsets(Path.Combine(_logDir, HighWatermarkCheckpoint));
        Reconcile(_store.Image);
        if (_hadCleanShutdown)
            File.Delete(marker);
        _store.Changed += Reconcile;
        _config.Changed += RefreshConfigs;
        _maintenance = Task.Run(MaintenanceLoopAsync);
    }

    public Partition? Get(string topic, int partition)
    {
        if (!_snapshot.ByName.TryGetValue(topic, out var parts) || (uint)partition >= (uint)parts.Length)
            return null;
        return parts[partition];
    }

    public Partition? Get(Guid topicId, int partition)
    {
        if (!_snapshot.ById.TryGetValue(topicId, out var parts) || (uint)partition >= (uint)parts.Length)
            return null;
        return parts[partition];
    }

    public IEnumerable<Partition> All()
    {
        foreach (var parts in _snapshot.ByName.Values)
        {
            foreach (var p in parts)
            {
                if (p is not null)
                    yield return p;
            }
        }
    }

    /// <summary>The storage view of a topic config (the keys PartitionLog understands).</summary>
    public static LogConfig ToLogConfig(TopicConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var props = new List<KeyValuePair<string, string?>>(LogConfig.Keys.Count);
        foreach (var key in LogConfig.Keys)
            props.Add(new(key, config.Value(key)));
        return LogConfig.FromProperties(props);
    }

    /// <summary>Flushes every log and writes the checkpoints (also called periodically).</summary>
    public void Checkpoint()
    {
        var recovery = new Dictionary<(string, int), long>();
        var starts = new Dictionary<(string, int), long>();
        var hws = new Dictionary<(string, int), long>();
        foreach (var p in All())
        {
            var key = (p.Topic, p.Index);
            recovery[key] = p.Log.RecoveryPoint;
            starts[key] = p.Log.LogStartOffset;
            hws[key] = p.Log.HighWatermark;
        }
        try
        {
            CheckpointFile.WriteOffsets(Path.Combine(_logDir, RecoveryPointCheckpoint), recovery);
            CheckpointFile.WriteOffsets(Path.Combine(_logDir, LogStartCheckpoint), starts);
            CheckpointFile.WriteOffsets(Path.Combine(_logDir, HighWatermarkCheckpoint), hws);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Error("writing checkpoints failed", ex);
        }
    }

    public void Dispose()
    {
        lock (_reconcileLock)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _store.Changed -= Reconcile;
        _config.Changed -= RefreshConfigs;
        _stop.Cancel();
        try
        {
            _maintenance?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop logs its own failures.
        }
        foreach (var p in All())
        {
            try
            {
                p.Log.Dispose();
            }
            catch (Exception ex)
            {
                Log.Error($"closing {p.Topic}-{p.Index} failed", ex);
            }
        }
        Checkpoint();
        try
        {
            File.WriteAllText(Path.Combine(_logDir, CleanShutdownFile), "");
        }
        catch (IOException ex)
        {
            Log.Error("writing the clean shutdown marker failed", ex);
        }
        _stop.Dispose();
    }

    private void Reconcile(MetadataImage image)
    {
        lock (_reconcileLock)
        {
            if (_disposed)
                return;
            var old = _snapshot;
            var byName = new Dictionary<string, Partition[]>(image.TopicsByName.Count, StringComparer.Ordinal);
            var byId = new Dictionary<Guid, Partition[]>(image.TopicsByName.Count);
            foreach (var topic in image.TopicsByName.Values)
            {
                old.ById.TryGetValue(topic.TopicId, out var existing);
                var config = TopicConfig.Create(_config, topic.Configs);
                var parts = new Partition[topic.Partitions.Length];
                for (var i = 0; i < parts.Length; i++)
                {
                    var current = existing is not null && i < existing.Length ? existing[i] : null;
                    if (current is not null)
                    {
                        if (!SameOverrides(current.Config.Overrides, topic.Configs))
                            current.UpdateConfig(config);
                        parts[i] = current;
                    }
                    else
                    {
                        parts[i] = Open(topic, topic.Partitions[i], config)!;
                    }
                }
                byName[topic.Name] = parts;
                byId[topic.TopicId] = parts;
            }
            _snapshot = new Snapshot(byName, byId);
            foreach (var (id, parts) in old.ById)
            {
                if (!byId.ContainsKey(id))
                    DeleteLogs(parts);
            }
        }
    }

    private Partition? Open(TopicMetadata topic, PartitionMetadata meta, TopicConfig config)
    {
        var key = (topic.Name, meta.Partition);
        try
        {
            var log = PartitionLog.Open(_logDir, topic.Name, meta.Partition, ToLogConfig(config), _options,
                hadCleanShutdown: _hadCleanShutdown,
                recoveryPoint: _recoveryPoints.GetValueOrDefault(key),
                logStartOffset: _logStarts.GetValueOrDefault(key),
                highWatermark: _highWatermarks.GetValueOrDefault(key));
            // A single replica is the whole ISR: everything in its log is committed.
            log.HighWatermark = log.LogEndOffset;
            return new Partition(topic.Name, topic.TopicId, meta.Partition, meta.LeaderEpoch, log, config);
        }
        catch (Exception ex)
        {
            Log.Error($"cannot open log for {topic.Name}-{meta.Partition.ToString(CultureInfo.InvariantCulture)}", ex);
            return null;
        }
    }

    private static void DeleteLogs(Partition[] parts)
    {
        foreach (var p in parts)
        {
            if (p is null)
                continue;
            p.Signal.Notify();
            try
            {
                var dir = p.Log.Directory;
                p.Log.Dispose();
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex)
            {
                Log.Error($"deleting log of {p.Topic}-{p.Index} failed", ex);
            }
        }
    }

    private void RefreshConfigs()
    {
        foreach (var p in All())
            p.UpdateConfig(p.Config.Refresh());
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

    private async Task MaintenanceLoopAsync()
    {
        var retentionEvery = TimeSpan.FromMilliseconds(Math.Clamp(_config.LogRetentionCheckIntervalMs, 10, int.MaxValue));
        var lastRetention = DateTime.UtcNow;
        var lastCheckpoint = DateTime.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(1000, retentionEvery.TotalMilliseconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var retention = DateTime.UtcNow - lastRetention >= retentionEvery;
                if (retention)
                    lastRetention = DateTime.UtcNow;
                foreach (var p in All())
                {
                    try
                    {
                        p.Log.FlushIfDue(now);
                        if (retention)
                            p.Log.DeleteOldSegments(now);
                        p.Log.RunPendingDeletes(now);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.Error($"maintenance of {p.Topic}-{p.Index} failed", ex);
                    }
                }
                if (DateTime.UtcNow - lastCheckpoint >= TimeSpan.FromMinutes(1))
                {
                    lastCheckpoint = DateTime.UtcNow;
                    Checkpoint();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    private sealed class Snapshot(Dictionary<string, Partition[]> byName, Dictionary<Guid, Partition[]> byId)
    {
        public static readonly Snapshot Empty = new(new(StringComparer.Ordinal), []);

        public Dictionary<string, Partition[]> ByName { get; } = byName;

        public Dictionary<Guid, Partition[]> ById { get; } = byId;
    }
}
