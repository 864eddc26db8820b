using System.Globalization;
using KafkaOperator.Storage.Checkpoints;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

// Exception policy: I/O failures throw KafkaStorageException (the server answers KafkaStorageError); bad offsets
// and protocol-level problems are returned as ErrorCode in AppendResult/LogReadResult (never thrown). Using a log
// after Dispose throws ObjectDisposedException. Producer state snapshots are an optimisation: a failed write (roll,
// close) or a corrupt or unreadable file (load, truncation) is a warning through PartitionLogOptions.Warn and a
// longer scan of the log, never a failed operation; only failing to delete a snapshot above a truncation point or
// the recovered log end throws, since using it later would give producers a history the log no longer has.

/// <summary>
/// The log of one partition: a directory `topic-partition` of segments, the leader epoch cache, the idempotent
/// producer state (with its snapshots) and the offsets replication needs (log start, log end, high watermark, recovery point).
/// Writers serialize on one lock per partition; readers take an immutable snapshot and read files without it.
/// </summary>
public sealed partial class PartitionLog : IDisposable
{
    private readonly object _lock = new();
    private readonly object _flushLock = new();
    private readonly PartitionLogOptions _options;
    private readonly ProducerStateManager _producers = new();
    private readonly List<LogSegment> _segments = [];
    private readonly List<(LogSegment Segment, long DueMs)> _pendingDeletes = [];
    private volatile LogState _state = LogState.Empty;
    private long _recoveryPoint;
    private long _unflushedMessages;
    private long _lastFlushMs;
    private bool _disposed;

    private PartitionLog(string dir, string topic, int partition, LogConfig config, PartitionLogOptions options, string? logDir = null)
    {
        Directory = dir;
        LogDir = logDir ?? Path.GetDirectoryName(dir)!;
        Topic = topic;
        Partition = partition;
        Config = config;
        _options = options;
        EpochCache = new LeaderEpochCache(dir);
        _lastFlushMs = options.NowMs;
    }

    public string Topic { get; }

    public int Partition { get; }

    public string Directory { get; }

    /// <summary>The log directory (parent of <see cref="Directory"/>).</summary>
    public string LogDir { get; }

    public LogConfig Config { get; private set; }

    public LeaderEpochCache EpochCache { get; }

    public long LogStartOffset => _state.LogStartOffset;

    public long LogEndOffset => _state.LogEndOffset;

    /// <summary>
    /// Consumers read below it. Setting it only moves it forward (concurrent appenders may set it out of order)
    /// and clamps it to [LogStartOffset, LogEndOffset]; truncation lowers it.
    /// </summary>
    public long HighWatermark
    {
        get => _state.HighWatermark;
        set
        {
            lock (_lock)
            {
                var s = _state;
                var hw = Math.Clamp(value, s.LogStartOffset, s.LogEndOffset);
                if (hw > s.HighWatermark)
                {
                    Publish(s with { HighWatermark = hw });
                }
            }
        }
    }

    /// <summary>Everything below it is fsynced.</summary>
    public long RecoveryPoint => Interlocked.Read(ref _recoveryPoint);

    public int SegmentCount => _state.Segments.Length;

    /// <summary>Total bytes of all segments.</summary>
    public long SizeInBytes
    {
        get
        {
            var s = _state;
            long total = 0;
            for (var i = 0; i < s.Segments.Length - 1; i++)
            {
                total += s.Segments[i].Size;
            }

            return total + s.ActiveSize;
        }
    }

    /// <summary>Base offsets of the segments, oldest first (tests, tools).</summary>
    public IReadOnlyList<long> SegmentBaseOffsets => [.. _state.Segments.Select(s => s.BaseOffset)];

    /// <summary>Messages appended since the last flush, and when that flush was.</summary>
    public (long Messages, long LastFlushMs) UnflushedState => (Interlocked.Read(ref _unflushedMessages), Interlocked.Read(ref _lastFlushMs));

    public static string DirectoryName(string topic, int partition) => $"{topic}-{partition.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses `topic-partition` (the topic may contain '-'); false for anything else (see <see cref="PartitionDirectories"/>).</summary>
    public static bool TryParseDirectoryName(string name, out string topic, out int partition) =>
        PartitionDirectories.TryParse(name, out topic, out partition);

    /// <summary>
    /// Opens (or creates) the log in `logDir/topic-partition`. Without a clean shutdown, every segment from the one
    /// holding <paramref name="recoveryPoint"/> on is validated and a torn tail cut off.
    /// </summary>
    public static PartitionLog Open(string logDir, string topic, int partition, LogConfig config, PartitionLogOptions? options = null,
        bool hadCleanShutdown = true, long recoveryPoint = 0, long logStartOffset = 0, long highWatermark = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dir = Path.Combine(logDir, DirectoryName(topic, partition));
        try
        {
            System.IO.Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot create {dir}: {e.Message}", e);
        }

        var log = new PartitionLog(dir, topic, partition, config, options ?? PartitionLogOptions.Default);
        log.Load(hadCleanShutdown, recoveryPoint, logStartOffset, highWatermark);
        return log;
    }

    /// <summary>
    /// <see cref="Open"/> for a directory the log manager has just found and listed: it is neither created nor
    /// listed again.
    /// </summary>
    internal static PartitionLog OpenFound(string logDir, string dir, string topic, int partition, LogConfig config, PartitionLogOptions options,
        SegmentFiles files, bool hadCleanShutdown, long recoveryPoint, long logStartOffset, long highWatermark)
    {
        var log = new PartitionLog(dir, topic, partition, config, options, logDir);
        log.Load(hadCleanShutdown, recoveryPoint, logStartOffset, highWatermark, files);
        return log;
    }

    /// <summary>Applies a new topic configuration (roll, retention, flush and index settings take effect at once).</summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_lock)
        {
            Config = config;
            if (_segments.Count > 0)
            {
                _segments[^1].IndexInterval = config.IndexIntervalBytes;
            }
        }
    }

    /// <summary>Producer state for one producer id: (epoch, last sequence, last offset), or null.</summary>
    public (short Epoch, int LastSequence, long LastOffset)? ProducerState(long producerId)
    {
        lock (_lock)
        {
            return _producers.Get(producerId);
        }
    }

    /// <summary>
    /// Flushes, snapshots the producer state at the log end (the next load reads it instead of the log), closes
    /// every file; the log object is unusable afterwards.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
        }

        Flush();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var st = _state;
            if (_producers.Count > 0 || st.LogEndOffset > st.LogStartOffset)
            {
                TakeProducerSnapshotLocked(st.LogEndOffset, durable: true);
            }

            _disposed = true;
            foreach (var s in _segments)
            {
                s.Close();
            }

            RunPendingDeletesLocked(long.MaxValue);
        }
    }

    /// <summary>Closes files without flushing (deletion of the log, simulated crash in tests).</summary>
    internal void CloseWithoutFlush()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var s in _segments)
            {
                s.File.Cache.Close(s.File, deleted: false);
            }
        }
    }

    internal Segments.LogSegment ActiveSegmentForTests => _state.Segments[^1];

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Publish(LogState state) => _state = state;

    private void PublishSegmentsLocked(long logEndOffset, long logStartOffset, long highWatermark)
    {
        var active = _segments[^1];
        Publish(new LogState([.. _segments], logStartOffset, logEndOffset, Math.Clamp(highWatermark, logStartOffset, logEndOffset), active.Size));
    }

    /// <summary>What readers see: segments, offsets and the active segment's committed size, consistent together.</summary>
    private sealed record LogState(LogSegment[] Segments, long LogStartOffset, long LogEndOffset, long HighWatermark, int ActiveSize)
    {
        public static readonly LogState Empty = new([], 0, 0, 0, 0);

        /// <summary>Index of the segment holding <paramref name="offset"/> (the last one with base &lt;= offset).</summary>
        public int FloorSegment(long offset)
        {
            int lo = 0, hi = Segments.Length - 1, found = 0;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Segments[mid].BaseOffset <= offset)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return found;
        }

        public int SizeOf(int index) => index == Segments.Length - 1 ? ActiveSize : Segments[index].Size;
    }
}
