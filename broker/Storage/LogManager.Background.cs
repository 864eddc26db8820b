using System.Collections.Concurrent;
using KafkaOperator.Storage.Checkpoints;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage;

/// <summary>Background jobs, checkpoints and shutdown.</summary>
public sealed partial class LogManager
{
    private readonly ConcurrentQueue<PartitionLog> _flushQueue = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _checkpointLock = new();
    private readonly ManualResetEventSlim _stop = new(false);
    private Thread? _thread;
    private Thread? _cleanerThread;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>Last exception a background job swallowed (for diagnostics).</summary>
    public Exception? LastBackgroundError { get; private set; }

    public void StartBackgroundJobs()
    {
        if (_thread is not null)
        {
            return;
        }

        _thread = new Thread(BackgroundLoop) { IsBackground = true, Name = "log-manager" };
        _thread.Start();

        // Compaction can take long: its own thread, so flushing and checkpoints never wait for it.
        _cleanerThread = new Thread(CleanerLoop) { IsBackground = true, Name = "log-cleaner" };
        _cleanerThread.Start();
    }

    /// <summary>Flushes every log whose flush.messages or flush.ms is due, and logs queued by appends.</summary>
    public int RunFlusher()
    {
        var flushed = new HashSet<PartitionLog>();
        while (_flushQueue.TryDequeue(out var queued))
        {
            if (flushed.Add(queued))
            {
                Guard(() => queued.Flush());
            }
        }

        var now = NowMs;
        foreach (var log in _logs.Values)
        {
            if (!flushed.Contains(log))
            {
                Guard(() =>
                {
                    if (log.FlushIfDue(now))
                    {
                        flushed.Add(log);
                    }
                });
            }
        }

        return flushed.Count;
    }

    /// <summary>One retention pass over every log; also deletes segment files past file.delete.delay.ms.</summary>
    public int RunRetention()
    {
        var now = NowMs;
        var deleted = 0;
        foreach (var log in _logs.Values)
        {
            Guard(() => deleted += log.DeleteOldSegments(now));
        }

        RunPendingDeletes();
        return deleted;
    }

    public void RunPendingDeletes()
    {
        var now = NowMs;
        foreach (var log in _logs.Values)
        {
            Guard(() => log.RunPendingDeletes(now));
        }
    }

    /// <summary>
    /// Writes the three checkpoint files of every log dir. The high watermark written is capped at the recovery
    /// point, so a checkpoint never claims data that is not yet durable.
    /// </summary>
    public void WriteCheckpoints()
    {
        lock (_checkpointLock)
        {
            foreach (var dir in LogDirs)
            {
                var logs = _logs.Where(kv => kv.Value.LogDir == dir).ToList();
                CheckpointFile.WriteOffsets(Path.Combine(dir, RecoveryPointCheckpoint),
                    logs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.RecoveryPoint)));
                CheckpointFile.WriteOffsets(Path.Combine(dir, LogStartOffsetCheckpoint),
                    logs.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.LogStartOffset)));
                CheckpointFile.WriteOffsets(Path.Combine(dir, HighWatermarkCheckpoint),
                    logs.Select(kv => KeyValuePair.Create(kv.Key, Math.Min(kv.Value.HighWatermark, kv.Value.RecoveryPoint))));
            }
        }
    }

    /// <summary>Clean shutdown: stop the jobs, flush and close every log, write checkpoints and the marker.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        StopBackground();

        // fsync-bound: several at once let the device merge them.
        Parallel.ForEach(_logs.Values, new ParallelOptions { MaxDegreeOfParallelism = 8 }, log => log.Dispose());
        WriteCheckpoints();
        WriteCleanerCheckpoints();
        foreach (var dir in LogDirs)
        {
            AtomicFile.WriteAllText(Path.Combine(dir, CleanShutdownFile), "");
        }

        _wake.Dispose();
        _stop.Dispose();
    }

    /// <summary>Tests: stop as a crash would (no flush, no checkpoints beyond the ones already written, no marker).</summary>
    internal void SimulateCrash()
    {
        _disposed = true;
        StopBackground();
        foreach (var log in _logs.Values)
        {
            log.CloseWithoutFlush();
        }

        _wake.Dispose();
    }

    private void StopBackground()
    {
        _stopping = true;
        _stop.Set();
        if (_thread is not null)
        {
            _wake.Set();
            _thread.Join();
            _thread = null;
        }

        _cleanerThread?.Join();
        _cleanerThread = null;
    }

    private void EnqueueFlush(PartitionLog log)
    {
        _flushQueue.Enqueue(log);
        if (_thread is null)
        {
            RunFlusher();
        }
        else
        {
            _wake.Set();
        }
    }

    private void BackgroundLoop()
    {
        var now = NowMs;
        long nextFlush = now, nextRetention = now + 30_000, nextCheckpoint = now + _options.CheckpointIntervalMs;
        long nextHw = now + _options.HighWatermarkCheckpointIntervalMs;
        while (!_stopping)
        {
            var wait = Math.Clamp(Math.Min(Math.Min(nextFlush, nextRetention), Math.Min(nextCheckpoint, nextHw)) - NowMs, 0, 1000);
            _wake.WaitOne(TimeSpan.FromMilliseconds(wait));
            if (_stopping)
            {
                break;
            }

            now = NowMs;
            RunFlusher();
            if (now >= nextFlush)
            {
                nextFlush = now + _options.FlushCheckIntervalMs;
            }

            if (now >= nextRetention)
            {
                RunRetention();
                nextRetention = now + _options.RetentionCheckIntervalMs;
            }
            else
            {
                RunPendingDeletes();
            }

            if (now >= nextCheckpoint || now >= nextHw)
            {
                Guard(WriteCheckpoints);
                nextCheckpoint = now >= nextCheckpoint ? now + _options.CheckpointIntervalMs : nextCheckpoint;
                nextHw = now + _options.HighWatermarkCheckpointIntervalMs;
            }

        }
    }

    private void CleanerLoop()
    {
        while (!_stop.Wait(TimeSpan.FromMilliseconds(Math.Clamp(_options.CleanerBackoffMs, 10, int.MaxValue))))
        {
            RunCleaner();
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            // A background thread must not take the broker down; the failing log is retried next round.
            LastBackgroundError = e;
        }
    }
}
