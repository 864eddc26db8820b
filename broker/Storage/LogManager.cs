using System.Collections.Concurrent;
using KafkaOperator.Storage.Checkpoints;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage;

// Exception policy: KafkaStorageException for I/O failures (loading, creating, checkpoints); lookups of unknown
// partitions return null / false. Background jobs never throw: a failing log is skipped and retried next round.
// A partition whose log fails to load with an I/O error is left offline (OfflineLogs) instead of failing the
// broker: Kafka takes the whole log dir offline, which on a one-dir broker would stop every partition.

/// <summary>
/// Owns every partition log of the broker across the log dirs: loads them at start (recovering after an unclean
/// shutdown), creates and deletes logs, and runs the background jobs: retention, the flusher (group commit),
/// checkpoints and the compaction cleaner.
/// </summary>
public sealed partial class LogManager : IDisposable
{
    public const string RecoveryPointCheckpoint = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetCheckpoint = "log-start-offset-checkpoint";
    public const string HighWatermarkCheckpoint = "replication-offset-checkpoint";
    public const string CleanShutdownFile = ".kafka_cleanshutdown";
    public const string DeleteDirSuffix = "-delete";

    /// <summary>
    /// The metadata quorum keeps its own log in `__cluster_metadata-0` next to the partitions (as KRaft does); it is
    /// not a partition log, so loading skips it and it is never deleted as an orphan.
    /// </summary>
    public const string MetadataTopic = "__cluster_metadata";

    private readonly ConcurrentDictionary<(string Topic, int Partition), PartitionLog> _logs = new();
    private readonly ConcurrentDictionary<string, LogConfig> _topicConfigs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Topic, int Partition), OfflineLog> _offline = new();
    private readonly List<IgnoredDirectory> _ignored = [];
    private readonly Dictionary<(string Topic, int Partition), string> _notPartitions = [];
    private readonly object _createLock = new();
    private readonly LogManagerOptions _options;
    private readonly PartitionLogOptions _logOptions;

    public LogManager(IReadOnlyList<string> logDirs, LogConfig defaultConfig, LogManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        ArgumentNullException.ThrowIfNull(defaultConfig);
        if (logDirs.Count == 0)
        {
            throw new ArgumentException("At least one log dir is needed", nameof(logDirs));
        }

        LogDirs = [.. logDirs.Select(Path.GetFullPath)];
        DefaultConfig = defaultConfig;
        _options = options ?? new LogManagerOptions();
        Handles = new FileHandleCache(_options.MaxOpenInactiveFiles);
        _logOptions = new PartitionLogOptions
        {
            Time = _options.Time,
            Handles = Handles,
            WritebackBytes = _options.WritebackBytes,
            ProducerIdExpirationMs = _options.ProducerIdExpirationMs,
            FlushRequested = EnqueueFlush,
            Warn = _options.Warn,
        };
        Load();
        if (_options.StartBackgroundJobs)
        {
            StartBackgroundJobs();
        }
    }

    public IReadOnlyList<string> LogDirs { get; }

    public LogConfig DefaultConfig { get; private set; }

    public FileHandleCache Handles { get; }

    /// <summary>True when every log dir had the clean shutdown marker at startup.</summary>
    public bool HadCleanShutdown { get; private set; }

    public ICollection<PartitionLog> AllLogs => _logs.Values;

    private long NowMs => _options.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public PartitionLog? GetLog(string topic, int partition) => _logs.TryGetValue((topic, partition), out var log) ? log : null;

    /// <summary>Partitions found on disk whose log could not be loaded (I/O error), with why; until a restart.</summary>
    public IReadOnlyDictionary<(string Topic, int Partition), OfflineLog> OfflineLogs => _offline;

    public bool IsOffline(string topic, int partition) => _offline.ContainsKey((topic, partition));

    /// <summary>Subdirectories of the log dirs found at start-up that are not partitions: neither loaded nor ever deleted.</summary>
    public IReadOnlyList<IgnoredDirectory> IgnoredDirectories => _ignored;

    /// <summary>The effective config of a topic (override or broker default).</summary>
    public LogConfig ConfigFor(string topic) => _topicConfigs.TryGetValue(topic, out var c) ? c : DefaultConfig;

    /// <summary>Returns the log, creating it in the log dir with the fewest partitions when it does not exist.</summary>
    public PartitionLog GetOrCreateLog(string topic, int partition, LogConfig? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (_logs.TryGetValue((topic, partition), out var existing))
        {
            return existing;
        }

        lock (_createLock)
        {
            if (_logs.TryGetValue((topic, partition), out existing))
            {
                return existing;
            }

            // Never a fresh log over one that failed to load: its data is still on disk.
            if (_offline.TryGetValue((topic, partition), out var offline))
            {
                throw new KafkaStorageException($"Partition {topic}-{partition} is offline: {offline.Reason}");
            }

            // Nor inside a directory that only has a partition's name (another broker's log dir, say).
            if (_notPartitions.TryGetValue((topic, partition), out var taken))
            {
                throw new KafkaStorageException($"Partition {topic}-{partition} cannot be created: {taken} is not a partition directory");
            }

            if (config is not null)
            {
                _topicConfigs[topic] = config;
            }

            var dir = LogDirs[0];
            if (LogDirs.Count > 1)
            {
                var counts = LogDirs.ToDictionary(d => d, _ => 0);
                foreach (var l in _logs.Values)
                {
                    counts[l.LogDir] = counts.GetValueOrDefault(l.LogDir) + 1;
                }

                dir = LogDirs.OrderBy(d => counts[d]).First();
            }

            var log = PartitionLog.Open(dir, topic, partition, ConfigFor(topic), _logOptions);
            _logs[(topic, partition)] = log;
            return log;
        }
    }

    /// <summary>Applies a topic's new config to its logs and to logs created later.</summary>
    public void UpdateTopicConfig(string topic, LogConfig config)
    {
        _topicConfigs[topic] = config;
        foreach (var ((t, _), log) in _logs)
        {
            if (t == topic)
            {
                log.UpdateConfig(config);
            }
        }
    }

    /// <summary>Changes the broker default; logs of topics without overrides follow it.</summary>
    public void UpdateDefaultConfig(LogConfig config)
    {
        DefaultConfig = config;
        foreach (var ((t, _), log) in _logs)
        {
            if (!_topicConfigs.ContainsKey(t))
            {
                log.UpdateConfig(config);
            }
        }
    }

    /// <summary>
    /// Deletes a partition's log as Kafka: the directory is renamed `topic-partition.&lt;uuid&gt;-delete` at once and
    /// removed in the background. Returns false when there is no such log.
    /// </summary>
    public bool DeleteLog(string topic, int partition)
    {
        if (!_logs.TryRemove((topic, partition), out var log))
        {
            return false;
        }

        RetireLog(log);
        return true;
    }

    /// <summary>
    /// Deletes a loaded log that the caller found to be an orphan, as <see cref="DeleteLog"/> does; returns its size
    /// (segment bytes) and the `-delete` directory it was renamed to, or null when there is no such log.
    /// </summary>
    public (long SizeInBytes, string RenamedTo)? DeleteOrphanLog(string topic, int partition)
    {
        if (!_logs.TryRemove((topic, partition), out var log))
        {
            return null;
        }

        var size = log.SizeInBytes;
        return (size, RetireLog(log));
    }

    // Renamed at once (durably: a crash then leaves a `-delete` dir, removed at the next start) and removed in the
    // background, so that reads still holding its files finish.
    private static string RetireLog(PartitionLog log)
    {
        log.CloseWithoutFlush();
        var target = $"{log.Directory}.{Guid.NewGuid():N}{DeleteDirSuffix}";
        try
        {
            Directory.Move(log.Directory, target);
            NativeFile.FsyncDirectory(log.LogDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot rename {log.Directory} for deletion: {e.Message}", e);
        }

        _ = Task.Run(() => DeleteDirectoryQuietly(target));
        return target;
    }

    /// <summary>Deletes every partition of a topic; returns how many logs were removed.</summary>
    public int DeleteTopic(string topic)
    {
        var count = 0;
        foreach (var (t, p) in _logs.Keys.Where(k => k.Topic == topic).ToList())
        {
            count += DeleteLog(t, p) ? 1 : 0;
        }

        foreach (var (key, offline) in _offline.Where(o => o.Key.Topic == topic).ToList())
        {
            // Best effort: the directory is what failed; a leftover is ignored (and reported) at the next start.
            if (_offline.TryRemove(key, out _) && TryRenameForDeletion(offline.Directory) is { } target)
            {
                _ = Task.Run(() => DeleteDirectoryQuietly(target));
            }
        }

        _topicConfigs.TryRemove(topic, out _);
        return count;
    }

    private static string? TryRenameForDeletion(string directory)
    {
        var target = $"{directory}.{Guid.NewGuid():N}{DeleteDirSuffix}";
        try
        {
            Directory.Move(directory, target);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void DeleteDirectoryQuietly(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried at the next startup, which removes every *-delete directory.
        }
    }

    private void Load()
    {
        var clean = true;
        var work = new List<(string Dir, string Topic, int Partition, long Rp, long Lso, long Hw, bool Clean)>();
        var topics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in LogDirs)
        {
            try
            {
                Directory.CreateDirectory(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot create log dir {dir}: {e.Message}", e);
            }

            var marker = Path.Combine(dir, CleanShutdownFile);
            var dirClean = File.Exists(marker);
            clean &= dirClean;
            var rps = CheckpointFile.ReadOffsets(Path.Combine(dir, RecoveryPointCheckpoint));
            var lsos = CheckpointFile.ReadOffsets(Path.Combine(dir, LogStartOffsetCheckpoint));
            var hws = CheckpointFile.ReadOffsets(Path.Combine(dir, HighWatermarkCheckpoint));
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                if (PartitionDirectories.IsMarkedForDeletion(name))
                {
                    _ = Task.Run(() => DeleteDirectoryQuietly(sub));
                    continue;
                }

                if (name == MetadataTopic + "-0")
                {
                    continue;
                }

                if (!PartitionLog.TryParseDirectoryName(name, out var topic, out var partition))
                {
                    _ignored.Add(new IgnoredDirectory(sub, "its name is not topic-partition"));
                    continue;
                }

                // One string per topic, not per partition: every loaded log keeps its topic's name.
                if (!topics.TryAdd(topic, topic))
                {
                    topic = topics[topic];
                }

                var key = (topic, partition);
                work.Add((dir, topic, partition, rps.GetValueOrDefault(key), lsos.GetValueOrDefault(key), hws.GetValueOrDefault(key), dirClean));
            }
        }

        var errors = new ConcurrentBag<Exception>();
        var notPartitions = 0;
        void LoadOne((string Dir, string Topic, int Partition, long Rp, long Lso, long Hw, bool Clean) w)
        {
            try
            {
                var sub = Path.Combine(w.Dir, PartitionLog.DirectoryName(w.Topic, w.Partition));
                var files = SegmentFiles.List(sub);
                if (files.NotAPartition is { } why)
                {
                    lock (_ignored)
                    {
                        _ignored.Add(new IgnoredDirectory(sub, why));
                        _notPartitions[(w.Topic, w.Partition)] = sub;
                        notPartitions++;
                    }

                    return;
                }

                var config = _options.TopicConfig?.Invoke(w.Topic) ?? DefaultConfig;
                var log = PartitionLog.OpenFound(w.Dir, sub, w.Topic, w.Partition, config, _logOptions, files, w.Clean, w.Rp, w.Lso, w.Hw);
                if (!_logs.TryAdd((w.Topic, w.Partition), log))
                {
                    log.Dispose();
                    errors.Add(new InvalidDataException($"Partition {w.Topic}-{w.Partition} exists in more than one log dir"));
                }
            }
            catch (Exception e) when (e is KafkaStorageException or IOException or UnauthorizedAccessException)
            {
                _offline[(w.Topic, w.Partition)] = new OfflineLog(Path.Combine(w.Dir, PartitionLog.DirectoryName(w.Topic, w.Partition)), e.Message);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        // Threads of their own, not the thread pool's (Parallel.ForEach): loading blocks in file system calls for
        // seconds with thousands of logs, and on a 2-CPU machine it held every pool thread, so the metadata
        // quorum's fetches (the broker's heartbeats) stalled and the controller fenced the starting broker.
        var next = -1;
        var threads = Enumerable.Range(0, Math.Min(work.Count, Math.Max(1, Environment.ProcessorCount))).Select(i => new Thread(() =>
        {
            for (var j = Interlocked.Increment(ref next); j < work.Count; j = Interlocked.Increment(ref next))
            {
                LoadOne(work[j]);
            }
        })
        { IsBackground = true, Name = $"log-loader-{i}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        if (!errors.IsEmpty)
        {
            throw new InvalidDataException($"Loading logs failed: {errors.First().Message}", errors.First());
        }

        LoadCleanerCheckpoints();

        // Only after every log is loaded: a crash from here on must be treated as unclean.
        foreach (var dir in LogDirs)
        {
            File.Delete(Path.Combine(dir, CleanShutdownFile));
        }

        HadCleanShutdown = clean && work.Count > notPartitions;
    }
}

/// <summary>A partition log that failed to load: its directory and the error, as the broker reports it.</summary>
public sealed record OfflineLog(string Directory, string Reason);

/// <summary>A subdirectory of a log dir that is not a partition, and why; left as it is.</summary>
public sealed record IgnoredDirectory(string Directory, string Reason);
