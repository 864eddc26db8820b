using System.Buffers;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>Appends (leader and follower), rolling and the flush trigger.</summary>
public sealed partial class PartitionLog
{
    private readonly List<(long Pid, BatchMetadata Meta, short Epoch)> _staged = [];

    /// <summary>
    /// Appends already-validated batches as the leader. Offsets, the partition leader epoch and (for
    /// LogAppendTime) the timestamp are rewritten IN PLACE in <paramref name="batches"/>, which the caller must
    /// own and must not reuse for anything else. Returns CorruptMessage for bad framing, MessageTooLarge for a
    /// batch over max.message.bytes, InvalidProducerEpoch/OutOfOrderSequenceNumber per the producer rules; a
    /// duplicate idempotent batch returns its original offsets and appends nothing. An epoch older than the latest
    /// one in the log is FencedLeaderEpoch.
    /// </summary>
    public AppendResult AppendAsLeader(Memory<byte> batches, int leaderEpoch, TimestampType topicTimestampType, long nowMs)
    {
        var span = batches.Span;
        var count = CountBatches(span, out var error);
        if (error != ErrorCode.None)
        {
            return AppendResult.Failed(error, LogStartOffset);
        }

        var summaries = ArrayPool<BatchSummary>.Shared.Rent(count);
        bool flushNeeded;
        AppendResult result;
        try
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                var state = _state;
                // A leader of an older epoch must never append after a newer one did (its batches would sit above
                // records of a later epoch, and followers could not find where they diverge).
                if (leaderEpoch < EpochCache.LatestEpoch)
                {
                    return AppendResult.Failed(ErrorCode.FencedLeaderEpoch, state.LogStartOffset);
                }

                _staged.Clear();
                var offset = state.LogEndOffset;
                var position = 0;
                long messages = 0;
                for (var i = 0; i < count; i++)
                {
                    var h = RecordBatchHeader.Read(span[position..]);
                    if (h.TotalSize > Config.MaxMessageBytes)
                    {
                        return AppendResult.Failed(ErrorCode.MessageTooLarge, state.LogStartOffset);
                    }

                    var check = _producers.Check(h, _staged, out var duplicate);
                    if (check != ErrorCode.None)
                    {
                        return AppendResult.Failed(check, state.LogStartOffset);
                    }

                    if (duplicate is { } d)
                    {
                        return new AppendResult(ErrorCode.None, d.FirstOffset, d.LastOffset, -1, state.LogStartOffset, Duplicate: true);
                    }

                    var batch = span.Slice(position, h.TotalSize);
                    RecordBatchHeader.WriteBaseOffset(batch, offset);
                    RecordBatchHeader.WritePartitionLeaderEpoch(batch, leaderEpoch);
                    var maxTimestamp = h.MaxTimestamp;
                    if (topicTimestampType == TimestampType.LogAppendTime)
                    {
                        RecordBatchHeader.SetLogAppendTime(batch, nowMs);
                        maxTimestamp = nowMs;
                    }

                    if (h.HasProducerId && h.BaseSequence >= 0)
                    {
                        _staged.Add((h.ProducerId, new BatchMetadata(h.BaseSequence, h.LastSequence, offset, offset + h.LastOffsetDelta), h.ProducerEpoch));
                    }

                    summaries[i] = new BatchSummary(position, h.TotalSize, offset + h.LastOffsetDelta, maxTimestamp);
                    offset += h.LastOffsetDelta + 1;
                    messages += Math.Max(1, h.RecordCount);
                    position += h.TotalSize;
                }

                var first = state.LogEndOffset;
                EpochCache.Assign(leaderEpoch, first);
                AppendLocked(span, summaries.AsSpan(0, count), nowMs, messages);
                result = new AppendResult(ErrorCode.None, first, offset - 1,
                    topicTimestampType == TimestampType.LogAppendTime ? nowMs : -1, _state.LogStartOffset);
                flushNeeded = Interlocked.Read(ref _unflushedMessages) >= Config.FlushMessages;
            }
        }
        finally
        {
            ArrayPool<BatchSummary>.Shared.Return(summaries);
        }

        if (flushNeeded)
        {
            RequestFlush();
        }

        return result;
    }

    /// <summary>
    /// Appends batches that already carry their offsets and epochs (a follower copying the leader). Returns
    /// CorruptMessage for bad framing or CRC and OffsetOutOfRange when the offsets do not follow the log end.
    /// </summary>
    public AppendResult AppendAsFollower(ReadOnlyMemory<byte> batches)
    {
        var span = batches.Span;
        var count = CountBatches(span, out var error);
        if (error != ErrorCode.None)
        {
            return AppendResult.Failed(error, LogStartOffset);
        }

        var summaries = ArrayPool<BatchSummary>.Shared.Rent(count);
        bool flushNeeded;
        AppendResult result;
        try
        {
            lock (_lock)
            {
                ThrowIfDisposed();
                var state = _state;
                var expected = state.LogEndOffset;
                var position = 0;
                long messages = 0;
                for (var i = 0; i < count; i++)
                {
                    var h = RecordBatchHeader.Read(span[position..]);
                    if (!RecordBatchHeader.CrcMatches(span.Slice(position, h.TotalSize)))
                    {
                        return AppendResult.Failed(ErrorCode.CorruptMessage, state.LogStartOffset);
                    }

                    if (h.BaseOffset < expected)
                    {
                        return AppendResult.Failed(ErrorCode.OffsetOutOfRange, state.LogStartOffset);
                    }

                    summaries[i] = new BatchSummary(position, h.TotalSize, h.LastOffset, h.MaxTimestamp);
                    expected = h.LastOffset + 1;
                    messages += Math.Max(1, h.RecordCount);
                    position += h.TotalSize;
                }

                var firstHeader = RecordBatchHeader.Read(span);
                position = 0;
                for (var i = 0; i < count; i++)
                {
                    var h = RecordBatchHeader.Read(span[position..]);
                    EpochCache.Assign(h.PartitionLeaderEpoch, h.BaseOffset);
                    position += h.TotalSize;
                }

                AppendLocked(span, summaries.AsSpan(0, count), _options.NowMs, messages);
                result = new AppendResult(ErrorCode.None, firstHeader.BaseOffset, expected - 1, -1, _state.LogStartOffset);
                flushNeeded = Interlocked.Read(ref _unflushedMessages) >= Config.FlushMessages;
            }
        }
        finally
        {
            ArrayPool<BatchSummary>.Shared.Return(summaries);
        }

        if (flushNeeded)
        {
            RequestFlush();
        }

        return result;
    }

    /// <summary>Closes the active segment and starts a new one at the log end offset (also used by tests/tools).</summary>
    public void Roll()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_segments[^1].Size > 0)
            {
                RollLocked();
            }
        }
    }

    private void AppendLocked(ReadOnlySpan<byte> data, ReadOnlySpan<BatchSummary> summaries, long nowMs, long messages)
    {
        var active = _segments[^1];
        var lastOffset = summaries[^1].LastOffset;
        if (active.Size > 0 && ((long)active.Size + data.Length > Config.SegmentBytes
            || (active.RollingBaseMs >= 0 && nowMs - active.RollingBaseMs > Config.SegmentMs)
            || active.IndexFull
            || lastOffset - active.BaseOffset > int.MaxValue))
        {
            active = RollLocked();
        }

        active.Append(data, summaries, nowMs);
        var position = 0;
        foreach (ref readonly var s in summaries)
        {
            var h = RecordBatchHeader.Read(data[s.Position..]);
            _producers.Update(h, nowMs);
            position += s.Size;
        }

        Interlocked.Add(ref _unflushedMessages, messages);
        var state = _state;
        Publish(state with { LogEndOffset = lastOffset + 1, ActiveSize = active.Size });
        if (_options.WritebackBytes > 0 && active.UnkickedBytes >= _options.WritebackBytes)
        {
            active.KickWriteback();
        }
    }

    private LogSegment RollLocked()
    {
        var old = _segments[^1];
        var state = _state;
        var next = LogSegment.Open(Directory, state.LogEndOffset, Config, _options.Handles, create: true);
        next.IndexInterval = Config.IndexIntervalBytes;
        next.Activate();
        old.OnBecomeInactive();
        _segments.Add(next);
        PublishSegmentsLocked(state.LogEndOffset, state.LogStartOffset, state.HighWatermark);

        // As Kafka: the producer state after the rolled segment is snapshotted at the new base; it and the rolled
        // segment are fsynced in the background (not under the lock appends wait on), and the recovery point moves
        // to the new base.
        var upTo = next.BaseOffset;
        var snapshot = TakeProducerSnapshotLocked(upTo, durable: false);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.log.TryFlushInBackground(s.upTo, s.snapshot), (log: this, upTo, snapshot), preferLocal: false);
        return next;
    }

    private void TryFlushInBackground(long upTo, bool snapshot)
    {
        try
        {
            Flush(upTo);
            if (snapshot)
            {
                SyncProducerSnapshot(upTo);
            }
        }
        catch (Exception e) when (e is Io.KafkaStorageException or ObjectDisposedException or IOException or UnauthorizedAccessException)
        {
            // The recovery point stays behind; the next flush or a recovery on restart covers the segment. A snapshot
            // a crash then tears fails its CRC, and the load starts from an older one.
        }
    }

    private void RequestFlush()
    {
        if (_options.FlushRequested is { } request)
        {
            request(this);
        }
        else
        {
            Flush();
        }
    }

    /// <summary>Counts the batches; CorruptMessage unless the bytes are whole v2 batches end to end.</summary>
    private static int CountBatches(ReadOnlySpan<byte> span, out ErrorCode error)
    {
        error = ErrorCode.None;
        var count = 0;
        var position = 0;
        while (position < span.Length)
        {
            if (span.Length - position < RecordBatchHeader.Size)
            {
                error = ErrorCode.CorruptMessage;
                return 0;
            }

            var h = RecordBatchHeader.Read(span[position..]);
            if (h.Magic != RecordBatchHeader.CurrentMagic || h.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead
                || h.TotalSize > span.Length - position || h.LastOffsetDelta < 0)
            {
                error = ErrorCode.CorruptMessage;
                return 0;
            }

            position += h.TotalSize;
            count++;
        }

        if (count == 0)
        {
            error = ErrorCode.CorruptMessage;
        }

        return count;
    }
}
