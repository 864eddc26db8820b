using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Replication;

/// <summary>
/// The follower's side of one partition's Fetch answer (what <see cref="ReplicaFetcher"/> does with it), public and
/// free of I/O so that the replication simulation in the tests runs exactly this logic: truncate where the leader
/// reports a divergence (KIP-279), restart below the leader's log start, append whole batches otherwise, and move
/// the log start up to the leader's.
/// </summary>
public static class FollowerFetchApply
{
    /// <summary>
    /// Applies one partition's answer, fetched as follower of <paramref name="leaderEpoch"/>; false for an error (or
    /// when the replica no longer follows that epoch). <paramref name="fetcher"/> names the fetcher in log lines.
    /// </summary>
    public static bool Handle(Partition partition, int leaderEpoch, FetchResponse.PartitionData data, string fetcher)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(data);
        var error = (ErrorCode)data.ErrorCode;
        if (error == ErrorCode.OffsetOutOfRange)
        {
            // Below the leader's log start: start over there. Above its end (cannot be committed): back to its HW.
            var log = partition.Log;
            if (data.LogStartOffset >= 0 && log.LogEndOffset < data.LogStartOffset)
                return partition.TruncateAsFollower(leaderEpoch, data.LogStartOffset, restartAt: true);
            if (data.HighWatermark >= 0 && data.HighWatermark < log.LogEndOffset)
                return partition.TruncateAsFollower(leaderEpoch, data.HighWatermark);
            return false;
        }
        if (error != ErrorCode.None)
        {
            if (error is not (ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch))
                Log.Info($"replica fetcher {fetcher}: {partition.Topic}-{partition.Index}: {error}");
            return false;
        }
        if (data.DivergingEpoch is { Epoch: >= 0, EndOffset: >= 0 } diverging)
            return partition.TruncateAsFollower(leaderEpoch, TruncationOffset(partition, diverging.Epoch, diverging.EndOffset));
        var bytes = data.Records is MemoryRecordSet m ? WholeBatches(m.Bytes) : ReadOnlyMemory<byte>.Empty;
        if (!partition.AppendAsFollower(leaderEpoch, bytes, data.HighWatermark, out var appendError))
            return false;
        if (appendError != ErrorCode.None)
        {
            Log.Warn($"replica fetcher {fetcher}: appending to {partition.Topic}-{partition.Index} failed: {appendError}");
            return false;
        }
        // DeleteRecords and retention on the leader move every replica's log start (the HW first: it bounds the move).
        if (data.LogStartOffset >= 0)
            partition.MaybeIncrementLogStartOffsetAsFollower(leaderEpoch, data.LogStartOffset);
        return true;
    }

    /// <summary>KIP-279: where to cut, given the leader's end offset for the largest epoch up to ours.</summary>
    public static long TruncationOffset(Partition partition, int leaderEpoch, long leaderEndOffset)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var log = partition.Log;
        var (epoch, endOffset) = log.EndOffsetForEpoch(leaderEpoch);
        if (epoch < 0)
            return Math.Min(leaderEndOffset, log.LogEndOffset);
        return epoch == leaderEpoch
            ? Math.Min(Math.Min(endOffset, leaderEndOffset), log.LogEndOffset)
            : Math.Min(endOffset, log.LogEndOffset); // we do not know that epoch: cut to our end of the one below, and ask again
    }

    /// <summary>A response may end in a partial batch (a size limit): keep the whole batches before it.</summary>
    public static ReadOnlyMemory<byte> WholeBatches(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        var position = 0;
        while (span.Length - position >= RecordBatchHeader.LogOverhead)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(span[(position + 8)..]) + RecordBatchHeader.LogOverhead;
            if (size <= RecordBatchHeader.LogOverhead || size > span.Length - position)
                break;
            position += size;
        }
        return bytes[..position];
    }
}
