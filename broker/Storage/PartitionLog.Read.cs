using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Cleaner;

namespace KafkaOperator.Storage;

/// <summary>Reads and offset lookups. None of these takes the partition lock.</summary>
public sealed partial class PartitionLog
{
    /// <summary>
    /// Reads from the batch holding <paramref name="startOffset"/>: at most <paramref name="maxBytes"/> (the first
    /// batch whole when <paramref name="minOneBatch"/>), only batches below <paramref name="maxOffsetExclusive"/>
    /// (the high watermark for consumers, long.MaxValue for followers), from one segment. An offset outside
    /// [LogStartOffset, LogEndOffset] gives OffsetOutOfRange.
    /// </summary>
    public LogReadResult Read(long startOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        for (var attempt = 0; ; attempt++)
        {
            var st = _state;
            try
            {
                return ReadFrom(st, startOffset, maxBytes, maxOffsetExclusive, minOneBatch);
            }
            catch (Io.KafkaStorageException) when (attempt < 3 && st.Segments.Any(s => Array.IndexOf(_state.Segments, s) < 0))
            {
                // A segment of the snapshot was deleted (retention, cleaner) while we read it: read again from the
                // current state, which answers OffsetOutOfRange if the offset is gone.
            }
        }
    }

    private static LogReadResult ReadFrom(LogState st, long startOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        if (startOffset < st.LogStartOffset || startOffset > st.LogEndOffset)
        {
            return new LogReadResult(ErrorCode.OffsetOutOfRange, MemoryRecordSet.Empty, -1, st.HighWatermark, st.LogStartOffset, st.LogEndOffset);
        }

        var upper = Math.Min(maxOffsetExclusive, st.LogEndOffset);
        if (startOffset >= upper || st.Segments.Length == 0)
        {
            return Empty(st);
        }

        for (var i = st.FloorSegment(startOffset); i < st.Segments.Length; i++)
        {
            var segment = st.Segments[i];
            if (segment.BaseOffset >= upper)
            {
                break;
            }

            var sizeBound = st.SizeOf(i);
            long maxPosition = sizeBound;
            var nextBase = i + 1 < st.Segments.Length ? st.Segments[i + 1].BaseOffset : long.MaxValue;
            if (upper < st.LogEndOffset && upper < nextBase && segment.TranslateOffset(upper, sizeBound) is { } hw)
            {
                maxPosition = hw.Position;
            }

            var read = segment.Read(startOffset, maxBytes, maxPosition, minOneBatch, sizeBound);
            if (read is { } r)
            {
                return new LogReadResult(ErrorCode.None, r.Records, r.Records.Length == 0 ? -1 : r.FirstBatchBaseOffset,
                    st.HighWatermark, st.LogStartOffset, st.LogEndOffset);
            }
        }

        return Empty(st);

        static LogReadResult Empty(LogState st) =>
            new(ErrorCode.None, MemoryRecordSet.Empty, -1, st.HighWatermark, st.LogStartOffset, st.LogEndOffset);
    }

    /// <summary>
    /// The first offset whose record timestamp is &gt;= <paramref name="timestamp"/> and its timestamp, or null
    /// when every record is older. Exact per record (batches are decompressed as needed); a batch that cannot be
    /// decoded answers with its base offset (clients skip the earlier records).
    /// </summary>
    public (long Offset, long Timestamp)? OffsetForTimestamp(long timestamp)
    {
        var st = _state;
        for (var i = 0; i < st.Segments.Length; i++)
        {
            var segment = st.Segments[i];
            var nextBase = i + 1 < st.Segments.Length ? st.Segments[i + 1].BaseOffset : long.MaxValue;
            if (nextBase <= st.LogStartOffset)
            {
                continue;
            }

            var sizeBound = st.SizeOf(i);
            if (i < st.Segments.Length - 1 && segment.LargestTimestamp() < timestamp)
            {
                continue;
            }

            if (segment.FindBatchByTimestamp(timestamp, st.LogStartOffset, sizeBound) is not { } found)
            {
                continue;
            }

            var h = found.Header;
            if (h.TimestampType == TimestampType.CreateTime)
            {
                var exact = RecordScan.FirstAtOrAfter(segment.File, found.Position, h, timestamp, st.LogStartOffset);
                if (exact is { } e)
                {
                    return e;
                }
            }

            var ts = h.TimestampType == TimestampType.LogAppendTime ? h.MaxTimestamp : Math.Max(h.BaseTimestamp, timestamp);
            return (Math.Max(h.BaseOffset, st.LogStartOffset), ts);
        }

        return null;
    }

    /// <summary>
    /// ListOffsets MAX_TIMESTAMP (KIP-734): the largest record timestamp in the log and the offset of the first record
    /// carrying it, or (-1, -1) when the log is empty. Segments track their largest batch max timestamp and that
    /// batch's last offset (which the time index and recovery also use); as Kafka does since KAFKA-16310 (3.7.1),
    /// the record is found by reading that one batch, so the answer never depends on how the indexes were built.
    /// </summary>
    public (long Timestamp, long Offset) MaxTimestampAndOffset()
    {
        var st = _state;
        var best = -1;
        for (var i = 0; i < st.Segments.Length; i++)
        {
            var s = st.Segments[i];
            s.EnsureIndexesLoaded();
            if (s.MaxTimestampSoFar > (best < 0 ? -1 : st.Segments[best].MaxTimestampSoFar))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return (-1, -1);
        }

        var segment = st.Segments[best];
        var timestamp = segment.MaxTimestampSoFar;
        if (segment.FindBatchByTimestamp(timestamp, segment.BaseOffset, st.SizeOf(best)) is { } found
            && RecordScan.FirstAtOrAfter(segment.File, found.Position, found.Header, timestamp, found.Header.BaseOffset) is { } record)
        {
            return (record.Timestamp, record.Offset);
        }

        // A batch whose header claims a larger timestamp than any of its records (or that cannot be decoded).
        return (timestamp, segment.OffsetOfMaxTimestampSoFar);
    }

    /// <summary>OffsetForLeaderEpoch: (largest epoch &lt;= requested, its end offset), (-1, -1) when unknown.</summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int epoch) => EpochCache.EndOffsetFor(epoch, LogEndOffset);
}
