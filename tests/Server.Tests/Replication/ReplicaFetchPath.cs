using System.Buffers;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// One partition of a follower's Fetch without the network: the request as ReplicaFetcher builds it, the leader's
/// side as FetchHandler runs it (epoch check, <see cref="FetchHandler.FollowerFetch"/>, the read up to the log end);
/// the follower applies the answer with the production <see cref="Server.Replication.FollowerFetchApply"/>.
/// </summary>
internal static class ReplicaFetchPath
{
    public static FetchRequest.FetchPartition Request(Partition follower, int leaderEpoch, int maxBytes = 1 << 20)
    {
        var log = follower.Log;
        return new FetchRequest.FetchPartition
        {
            Partition = follower.Index,
            CurrentLeaderEpoch = leaderEpoch,
            FetchOffset = log.LogEndOffset,
            LastFetchedEpoch = log.EpochCache.LatestEpoch,
            LogStartOffset = log.LogStartOffset,
            PartitionMaxBytes = maxBytes,
        };
    }

    /// <summary>
    /// FetchHandler for this partition; <paramref name="leader"/> is what ReplicaManager.Get found (null unless it
    /// leads), <paramref name="replicaError"/> the outcome of its replica check (registered, broker epoch).
    /// </summary>
    public static FetchResponse.PartitionData LeaderSide(Partition? leader, int replicaId, FetchRequest.FetchPartition p, long nowMs, ErrorCode replicaError = ErrorCode.None)
    {
        var data = new FetchResponse.PartitionData { PartitionIndex = p.Partition, HighWatermark = -1, LastStableOffset = -1, LogStartOffset = -1, Records = MemoryRecordSet.Empty };
        ErrorCode error;
        FetchResponse.EpochEndOffset? diverging = null;
        if (leader is not { IsLeader: true })
            error = ErrorCode.NotLeaderOrFollower;
        else if (p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch != leader.LeaderEpoch)
            error = p.CurrentLeaderEpoch > leader.LeaderEpoch ? ErrorCode.UnknownLeaderEpoch : ErrorCode.FencedLeaderEpoch;
        else
            error = replicaError != ErrorCode.None ? replicaError : FetchHandler.FollowerFetch(leader, replicaId, p, nowMs, out diverging);
        if (error != ErrorCode.None || leader is null)
        {
            data.ErrorCode = (short)error;
            return data;
        }
        if (diverging is not null)
        {
            data.DivergingEpoch = diverging;
            data.HighWatermark = leader.HighWatermark;
            data.LastStableOffset = data.HighWatermark;
            data.LogStartOffset = leader.LogStartOffset;
            return data;
        }
        var read = leader.Log.Read(p.FetchOffset, p.PartitionMaxBytes, long.MaxValue, minOneBatch: true);
        data.ErrorCode = (short)read.Error;
        data.HighWatermark = read.HighWatermark;
        data.LastStableOffset = read.HighWatermark;
        data.LogStartOffset = read.LogStartOffset;
        if (read.Error == ErrorCode.None && read.Records.SizeInBytes > 0)
            data.Records = new MemoryRecordSet(Copy(read.Records));
        return data;
    }

    /// <summary>The bytes of a record set (a file slice is read now: the answer outlives later appends).</summary>
    public static byte[] Copy(RecordSet records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1, records.SizeInBytes));
        records.WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
