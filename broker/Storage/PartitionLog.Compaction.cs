using System.Buffers;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Cleaner;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>
/// Compaction (cleanup.policy=compact): keeps the last record per key. Reading and rewriting run outside the
/// partition lock on inactive segments (which never change); only the swap of cleaned segments takes it.
/// </summary>
public sealed partial class PartitionLog
{
    private readonly object _cleanLock = new();
    private long _firstDirtyOffset = -1;

    /// <summary>Offset where the uncleaned (dirty) section begins (-1: never cleaned; the log start).</summary>
    public long CleanerCheckpoint
    {
        get => Interlocked.Read(ref _firstDirtyOffset);
        internal set => Interlocked.Exchange(ref _firstDirtyOffset, value);
    }

    /// <summary>
    /// One cleaning pass when the log is compacted and its dirty ratio reaches min.cleanable.dirty.ratio (or
    /// <paramref name="force"/>). Cleans inactive segments below the high watermark whose newest record is older
    /// than min.compaction.lag.ms. Returns null when there was nothing to do.
    /// </summary>
    public CleanResult? Compact(long nowMs, int maxKeys = 1_000_000, bool force = false)
    {
        lock (_cleanLock)
        {
            LogSegment[] cleanable;
            LogConfig config;
            Dictionary<long, long> producerLastOffsets;
            long logStart;
            lock (_lock)
            {
                config = Config;
                if (_disposed || !config.Compact)
                {
                    return null;
                }

                var st = _state;
                var list = new List<LogSegment>();
                for (var i = 0; i < _segments.Count - 1; i++)
                {
                    var s = _segments[i];
                    if (_segments[i + 1].BaseOffset > st.HighWatermark || nowMs - s.LargestTimestamp() < config.MinCompactionLagMs)
                    {
                        break;
                    }

                    list.Add(s);
                }

                cleanable = [.. list];
                logStart = st.LogStartOffset;
                producerLastOffsets = _producers.LastOffsets();
            }

            if (cleanable.Length == 0)
            {
                return null;
            }

            var firstDirty = Math.Max(Math.Max(CleanerCheckpoint, logStart), cleanable[0].BaseOffset);
            long dirtyBytes = 0, totalBytes = 0;
            for (var i = 0; i < cleanable.Length; i++)
            {
                totalBytes += cleanable[i].Size;
                if (NextBase(cleanable, i) > firstDirty)
                {
                    dirtyBytes += cleanable[i].Size;
                }
            }

            // max.compaction.lag.ms: a dirty segment older than it is cleaned whatever the dirty ratio.
            var dirtyIndex = Array.FindIndex(cleanable, s => s.BaseOffset >= firstDirty || s.NextOffsetOrScan() > firstDirty);
            force |= config.MaxCompactionLagMs != long.MaxValue && dirtyIndex >= 0
                && nowMs - cleanable[dirtyIndex].LargestTimestamp() > config.MaxCompactionLagMs;
            if (dirtyBytes == 0 || (!force && (double)dirtyBytes / Math.Max(1, totalBytes) < config.MinCleanableDirtyRatio))
            {
                return null;
            }

            using var decoder = new BatchRecords();
            var map = new OffsetMap(maxKeys);
            var mappedSegments = 0;
            for (var i = 0; i < cleanable.Length; i++)
            {
                if (NextBase(cleanable, i) <= firstDirty)
                {
                    mappedSegments = i + 1;
                    continue;
                }

                if (map.IsFull && mappedSegments > 0)
                {
                    break;
                }

                ForEachBatch(cleanable[i], withBody: true, (h, batch) =>
                {
                    if (h.IsControl || !decoder.TryGetRecords(h, batch, out var records))
                    {
                        return;
                    }

                    var it = RecordIterator.ForBatch(h, records);
                    while (it.TryMoveNext(out _))
                    {
                        var r = it.Current;
                        if (!r.KeyIsNull && r.Offset >= firstDirty)
                        {
                            map.Put(r.Key, r.Offset);
                        }
                    }
                });
                mappedSegments = i + 1;
            }

            var cleanedUpTo = NextBase(cleanable, mappedSegments - 1);
            var result = new CleanResult(0, 0, 0, 0, 0, firstDirty, cleanedUpTo);
            var deleteHorizon = nowMs - config.DeleteRetentionMs;
            foreach (var group in Group(cleanable.AsSpan(0, mappedSegments).ToArray(), config.SegmentBytes))
            {
                var (cleaned, removed) = WriteCleaned(group, map, decoder, deleteHorizon, producerLastOffsets, config, nowMs);
                if (!SwapIn(group, cleaned, nowMs))
                {
                    return result;
                }

                result = result with
                {
                    SegmentsIn = result.SegmentsIn + group.Length,
                    SegmentsOut = result.SegmentsOut + 1,
                    BytesIn = result.BytesIn + group.Sum(s => (long)s.Size),
                    BytesOut = result.BytesOut + cleaned.Size,
                    RecordsRemoved = result.RecordsRemoved + removed,
                };
            }

            CleanerCheckpoint = cleanedUpTo;
            return result;
        }
    }

    private static long NextBase(LogSegment[] segments, int i) => i + 1 < segments.Length ? segments[i + 1].BaseOffset : segments[i].NextOffsetOrScan();

    /// <summary>Consecutive segments whose sizes together fit one segment (and relative offsets fit an int).</summary>
    private static List<LogSegment[]> Group(LogSegment[] segments, int maxBytes)
    {
        var groups = new List<LogSegment[]>();
        var current = new List<LogSegment>();
        long size = 0;
        foreach (var s in segments)
        {
            if (current.Count > 0 && (size + s.Size > maxBytes || s.NextOffsetOrScan() - current[0].BaseOffset > int.MaxValue))
            {
                groups.Add([.. current]);
                current.Clear();
                size = 0;
            }

            current.Add(s);
            size += s.Size;
        }

        if (current.Count > 0)
        {
            groups.Add([.. current]);
        }

        return groups;
    }

    private (LogSegment Cleaned, long Removed) WriteCleaned(LogSegment[] group, OffsetMap map, BatchRecords decoder, long deleteHorizon,
        Dictionary<long, long> producerLastOffsets, LogConfig config, long nowMs)
    {
        var cleaned = LogSegment.Open(Directory, group[0].BaseOffset, config, _options.Handles, create: true, LogSegment.CleanedSuffix);
        cleaned.Activate();
        long removed = 0;
        var keep = new List<(int Start, int Length)>();
        foreach (var segment in group)
        {
            ForEachBatch(segment, withBody: true, (h, batch) =>
            {
                byte[]? output = null;
                if (h.IsControl || !decoder.TryGetRecords(h, batch, out var records))
                {
                    output = batch.ToArray();
                }
                else
                {
                    keep.Clear();
                    var it = RecordIterator.ForBatch(h, records);
                    var total = 0;
                    var position = 0;
                    string? error = null;
                    while (it.TryMoveNext(out error))
                    {
                        var r = it.Current;
                        total++;
                        var latest = r.KeyIsNull || map.Get(r.Key) <= r.Offset;
                        var expiredTombstone = r.ValueIsNull && h.MaxTimestamp < deleteHorizon;
                        if (latest && !expiredTombstone)
                        {
                            keep.Add((position, r.SizeInBytes));
                        }

                        position += r.SizeInBytes;
                    }

                    if (error is not null)
                    {
                        // Records that cannot be decoded are never dropped: the batch stays as it is.
                        keep.Clear();
                        total = 0;
                    }

                    removed += total - keep.Count;
                    if (keep.Count == total)
                    {
                        output = batch.ToArray();
                    }
                    else if (keep.Count > 0 || (h.HasProducerId && producerLastOffsets.GetValueOrDefault(h.ProducerId, -1) == h.LastOffset))
                    {
                        // As Kafka: an emptied batch survives (header only) when it is the producer's last, so
                        // its sequence state is not lost.
                        output = decoder.Rebuild(batch, h, records, keep);
                    }
                }

                if (output is not null)
                {
                    var header = RecordBatchHeader.Read(output);
                    cleaned.Append(output, [new BatchSummary(0, output.Length, header.LastOffset, header.MaxTimestamp)], nowMs);
                }
            });
        }

        cleaned.OnBecomeInactive();
        cleaned.Flush();
        cleaned.ChangeSuffix(LogSegment.SwapSuffix);
        return (cleaned, removed);
    }

    /// <summary>Replaces <paramref name="group"/> by the cleaned segment, unless retention or truncation got there first.</summary>
    private bool SwapIn(LogSegment[] group, LogSegment cleaned, long nowMs)
    {
        lock (_lock)
        {
            var index = _segments.IndexOf(group[0]);
            var intact = !_disposed && index >= 0 && index + group.Length < _segments.Count;
            for (var i = 0; intact && i < group.Length; i++)
            {
                intact = _segments[index + i] == group[i];
            }

            if (!intact)
            {
                cleaned.Close();
                cleaned.DeleteFiles();
                return false;
            }

            // Old segments renamed .deleted first (the cleaned one takes the first one's name), then readers
            // switch to the new list, then the old files are scheduled for deletion.
            _segments.RemoveRange(index, group.Length);
            foreach (var old in group)
            {
                old.ChangeSuffix(LogSegment.DeletedSuffix);
            }

            cleaned.ChangeSuffix("");
            _segments.Insert(index, cleaned);
            var st = _state;
            PublishSegmentsLocked(st.LogEndOffset, st.LogStartOffset, st.HighWatermark);
            foreach (var old in group)
            {
                _pendingDeletes.Add((old, nowMs + Config.FileDeleteDelayMs));
            }

            RunPendingDeletesLocked(nowMs);
            return true;
        }
    }

    private static void ForEachBatch(LogSegment segment, bool withBody, BatchAction action)
    {
        var handle = segment.File.Acquire();
        try
        {
            using var reader = new BatchReader(handle, 0, segment.Size, headersOnly: !withBody);
            while (reader.Next(withBody, out var h, out var batch))
            {
                action(h, batch);
                reader.Advance(h);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read {segment.File.Path} for cleaning: {e.Message}", e);
        }
        finally
        {
            segment.File.Release();
        }
    }

    private delegate void BatchAction(RecordBatchHeader header, ReadOnlySpan<byte> batch);
}
