using KafkaOperator.Protocol;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>Flushing, truncation, retention and DeleteRecords.</summary>
public sealed partial class PartitionLog
{
    /// <summary>
    /// Fsyncs every segment holding offsets in [RecoveryPoint, upTo) and then advances the recovery point. The
    /// fsync runs outside the partition lock: appends continue meanwhile (group commit: one fsync covers them all).
    /// </summary>
    public void Flush(long upTo = long.MaxValue)
    {
        lock (_flushLock)
        {
            List<LogSegment> toFlush;
            long target;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                target = Math.Min(upTo, _state.LogEndOffset);
                var rp = _recoveryPoint;
                Interlocked.Exchange(ref _unflushedMessages, 0);
                Interlocked.Exchange(ref _lastFlushMs, _options.NowMs);
                if (target <= rp)
                {
                    return;
                }

                toFlush = [];
                for (var i = 0; i < _segments.Count; i++)
                {
                    var nextBase = i + 1 < _segments.Count ? _segments[i + 1].BaseOffset : long.MaxValue;
                    if (nextBase > rp && _segments[i].BaseOffset < target)
                    {
                        toFlush.Add(_segments[i]);
                    }
                }
            }

            // Before any data becomes trusted (below the recovery point): the epochs it carries must be on disk.
            EpochCache.Sync();
            foreach (var segment in toFlush)
            {
                try
                {
                    segment.Flush();
                }
                catch (KafkaStorageException)
                {
                    // Not an exception filter: a filter runs before the throwing frame's finally blocks, i.e. while
                    // the file handle cache's lock is still held, and IsLive takes the partition lock, which
                    // retention holds while it waits for the cache lock: a deadlock (seen as a hung test).
                    if (IsLive(segment))
                    {
                        throw;
                    }

                    // Deleted by retention meanwhile: nothing to make durable.
                }
            }

            lock (_lock)
            {
                if (target > _recoveryPoint)
                {
                    Interlocked.Exchange(ref _recoveryPoint, target);
                }
            }
        }
    }

    /// <summary>The flusher's test: flush.messages reached or flush.ms elapsed with unflushed data.</summary>
    public bool FlushIfDue(long nowMs)
    {
        var (messages, last) = UnflushedState;
        var config = Config;
        if (messages > 0 && (messages >= config.FlushMessages || (config.FlushMs != long.MaxValue && nowMs - last >= config.FlushMs)))
        {
            Flush();
            return true;
        }

        return false;
    }

    /// <summary>
    /// Removes everything from <paramref name="offset"/> on (follower truncation). Returns false when the log is
    /// already shorter. Offsets at or below the log start offset truncate the whole log and restart it there.
    /// </summary>
    public bool TruncateTo(long offset)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var st = _state;
            if (offset >= st.LogEndOffset)
            {
                // As Kafka's UnifiedLog.truncateTo: the epoch cache may still end with an epoch this replica started as
                // leader (at its log end) without appending anything. Kept, it stays the follower's last fetched epoch,
                // which the leader answers with a divergence at this very offset, again and again: the follower never
                // catches up (found by the replication simulation).
                EpochCache.TruncateFromEnd(st.LogEndOffset);
                return false;
            }

            if (offset <= st.LogStartOffset && offset <= _segments[0].BaseOffset)
            {
                TruncateFullyLocked(Math.Max(offset, 0));
                return true;
            }

            // Before the segments change: a failure leaves the log as it was.
            DeleteProducerSnapshotsLocked(o => o > offset, strict: true);
            var nowMs = _options.NowMs;
            var removed = _segments.Where(s => s.BaseOffset > offset).ToList();
            if (removed.Count == _segments.Count)
            {
                TruncateFullyLocked(offset);
                return true;
            }

            foreach (var s in removed)
            {
                _segments.Remove(s);
            }

            var last = _segments[^1];
            last.Activate();
            last.TruncateTo(offset);
            var leo = last.Size == 0 ? last.BaseOffset : last.NextOffset;
            if (_recoveryPoint > leo)
            {
                Interlocked.Exchange(ref _recoveryPoint, leo);
            }

            EpochCache.TruncateFromEnd(leo);
            RebuildProducerState(Math.Min(st.LogStartOffset, leo), leo);
            PublishSegmentsLocked(leo, Math.Min(st.LogStartOffset, leo), Math.Min(st.HighWatermark, leo));
            foreach (var s in removed)
            {
                ScheduleDeleteLocked(s, nowMs);
            }

            return true;
        }
    }

    /// <summary>Deletes every segment and restarts the log empty at <paramref name="offset"/>.</summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            ThrowIfDisposed();
            TruncateFullyLocked(offset);
        }
    }

    /// <summary>
    /// DeleteRecords: advances the log start offset to <paramref name="offset"/> (OffsetOutOfRange above the high
    /// watermark); segments wholly below it are removed. Returns the new low watermark (log start offset).
    /// </summary>
    public (ErrorCode Error, long LowWatermark) DeleteRecordsBefore(long offset)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var st = _state;
            if (offset < 0 || offset > st.HighWatermark)
            {
                return (ErrorCode.OffsetOutOfRange, st.LogStartOffset);
            }

            if (offset > st.LogStartOffset)
            {
                EpochCache.TruncateFromStart(offset);
                PublishSegmentsLocked(st.LogEndOffset, offset, st.HighWatermark);
            }

            DeleteSegmentsLocked((s, next, _) => next is not null && next.BaseOffset <= _state.LogStartOffset, _options.NowMs);
            DeleteProducerSnapshotsLocked(o => o < _state.LogStartOffset, strict: false);
            return (ErrorCode.None, _state.LogStartOffset);
        }
    }

    /// <summary>
    /// Retention, as Kafka's deleteOldSegments: segments whose largest timestamp is older than retention.ms, the
    /// oldest segments while the log exceeds retention.bytes, and segments below the log start offset. Only whole
    /// segments below the high watermark; the active one only after a roll. Also forgets idempotent producers idle
    /// longer than producer.id.expiration.ms. Returns the number of segments removed.
    /// </summary>
    public int DeleteOldSegments(long nowMs)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return 0;
            }

            var config = Config;
            var deleted = 0;
            if (config.Delete && config.RetentionMs >= 0)
            {
                deleted += DeleteSegmentsLocked((s, _, _) => nowMs - s.LargestTimestamp() > config.RetentionMs, nowMs);
            }

            if (config.Delete && config.RetentionBytes >= 0)
            {
                var diff = SizeInBytes - config.RetentionBytes;
                deleted += DeleteSegmentsLocked((s, _, size) =>
                {
                    if (diff - size >= 0)
                    {
                        diff -= size;
                        return true;
                    }

                    return false;
                }, nowMs);
            }

            deleted += DeleteSegmentsLocked((s, next, _) => next is not null && next.BaseOffset <= _state.LogStartOffset, nowMs);
            _producers.RemoveExpired(nowMs, _options.ProducerIdExpirationMs);
            return deleted;
        }
    }

    /// <summary>Deletes the files of segments removed at least file.delete.delay.ms ago.</summary>
    public void RunPendingDeletes(long nowMs)
    {
        lock (_lock)
        {
            RunPendingDeletesLocked(nowMs);
        }
    }

    private int DeleteSegmentsLocked(Func<LogSegment, LogSegment?, int, bool> predicate, long nowMs)
    {
        var st = _state;
        var deletable = new List<LogSegment>();
        for (var i = 0; i < _segments.Count; i++)
        {
            var s = _segments[i];
            var next = i + 1 < _segments.Count ? _segments[i + 1] : null;
            var upper = next?.BaseOffset ?? st.LogEndOffset;
            var size = next is null ? st.ActiveSize : s.Size;
            if ((next is null && size == 0) || st.HighWatermark < upper || !predicate(s, next, size))
            {
                break;
            }

            deletable.Add(s);
        }

        if (deletable.Count == 0)
        {
            return 0;
        }

        if (deletable.Count == _segments.Count)
        {
            RollLocked();
        }

        foreach (var s in deletable)
        {
            _segments.Remove(s);
        }

        // Readers stop seeing the segments before their files go.
        var lso = Math.Max(_state.LogStartOffset, _segments[0].BaseOffset);
        EpochCache.TruncateFromStart(lso);
        var cur = _state;
        PublishSegmentsLocked(cur.LogEndOffset, lso, cur.HighWatermark);
        foreach (var s in deletable)
        {
            ScheduleDeleteLocked(s, nowMs);
        }

        // The snapshots the deleted segments led to: state of records that are gone.
        DeleteProducerSnapshotsLocked(o => o < lso, strict: false);
        return deletable.Count;
    }

    private void TruncateFullyLocked(long offset)
    {
        // First: a failure leaves the log as it was.
        DeleteProducerSnapshotsLocked(_ => true, strict: true);
        var nowMs = _options.NowMs;
        var old = _segments.ToList();
        foreach (var s in old)
        {
            // Renamed first: the new segment may have the same base offset.
            s.OnBecomeInactive();
            s.ChangeSuffix(LogSegment.DeletedSuffix);
        }

        _segments.Clear();
        var fresh = LogSegment.Open(Directory, offset, Config, _options.Handles, create: true);
        fresh.Activate();
        _segments.Add(fresh);
        EpochCache.Clear();
        _producers.Clear();
        Interlocked.Exchange(ref _recoveryPoint, offset);
        PublishSegmentsLocked(offset, offset, offset);
        foreach (var s in old)
        {
            _pendingDeletes.Add((s, nowMs + Config.FileDeleteDelayMs));
        }

        RunPendingDeletesLocked(nowMs);
    }

    private void ScheduleDeleteLocked(LogSegment segment, long nowMs)
    {
        segment.OnBecomeInactive();
        segment.ChangeSuffix(LogSegment.DeletedSuffix);
        _pendingDeletes.Add((segment, nowMs + Config.FileDeleteDelayMs));
        if (Config.FileDeleteDelayMs == 0)
        {
            RunPendingDeletesLocked(nowMs);
        }
    }

    private void RunPendingDeletesLocked(long nowMs)
    {
        for (var i = _pendingDeletes.Count - 1; i >= 0; i--)
        {
            if (_pendingDeletes[i].DueMs <= nowMs)
            {
                _pendingDeletes[i].Segment.DeleteFiles();
                _pendingDeletes.RemoveAt(i);
            }
        }
    }

    private bool IsLive(LogSegment segment)
    {
        lock (_lock)
        {
            return _segments.Contains(segment);
        }
    }
}
