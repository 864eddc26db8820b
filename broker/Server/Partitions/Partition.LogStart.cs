using KafkaOperator.Protocol;

namespace KafkaOperator.Server.Partitions;

/// <summary>
/// Log start offsets across the replicas, as Kafka keeps them: a follower moves its log start up to the leader's
/// (the fetch response's log_start_offset) and reports its own in every fetch; the leader's low watermark is the
/// lowest over itself and the followers on live brokers, and DeleteRecords answers once it has reached the offset.
/// </summary>
public sealed partial class Partition
{
    private readonly List<(long Offset, TaskCompletionSource<long> Done)> _lowWatermarkWaiters = [];

    /// <summary>
    /// Leader: the lowest log start offset over this replica and the followers on live (registered, unfenced)
    /// brokers; -1 while a live follower has not reported one yet in this leader epoch. Elsewhere -1.
    /// </summary>
    public long LowWatermark
    {
        get
        {
            lock (_lock)
                return LowWatermarkLocked();
        }
    }

    private long LowWatermarkLocked()
    {
        if (!_role.IsLeader)
            return -1;
        var low = Log.LogStartOffset;
        foreach (var (id, follower) in _followers)
        {
            if (follower.LogStartOffset < low && (IsrChannel?.IsAlive(id) ?? true))
                low = follower.LogStartOffset;
        }
        return low;
    }

    /// <summary>The log start offset follower <paramref name="replicaId"/> reported last (-1: none yet, or not leader).</summary>
    public long FollowerLogStartOffset(int replicaId)
    {
        lock (_lock)
            return _role.IsLeader && _followers.TryGetValue(replicaId, out var f) ? f.LogStartOffset : -1;
    }

    /// <summary>
    /// Leader: DeleteRecords on this replica; followers learn the new log start from their next fetch (a follower's
    /// fetch held at this leader is answered at once, see <see cref="FollowerBehindLogStart"/>).
    /// </summary>
    public (ErrorCode Error, long LowWatermark) DeleteRecordsAsLeader(long offset)
    {
        ErrorCode error;
        long low;
        lock (_lock)
        {
            if (!_role.IsLeader)
                return (ErrorCode.NotLeaderOrFollower, -1);
            (error, _) = Log.DeleteRecordsBefore(offset);
            low = LowWatermarkLocked();
        }
        Signal.Notify();
        return (error, low);
    }

    /// <summary>
    /// Leader: waits until the low watermark reaches <paramref name="offset"/>, as Kafka's delayed DeleteRecords;
    /// returns it, or REQUEST_TIMED_OUT (NOT_LEADER_OR_FOLLOWER if leadership moves) with the caller's last value.
    /// </summary>
    public async Task<(ErrorCode Error, long LowWatermark)> WaitForLowWatermarkAsync(long offset, int timeoutMs, CancellationToken stopping)
    {
        TaskCompletionSource<long> done;
        lock (_lock)
        {
            if (!_role.IsLeader)
                return (ErrorCode.NotLeaderOrFollower, -1);
            var low = LowWatermarkLocked();
            if (low >= offset)
                return (ErrorCode.None, low);
            done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _lowWatermarkWaiters.Add((offset, done));
        }
        try
        {
            var low = await done.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs)), stopping).ConfigureAwait(false);
            return low < 0 ? (ErrorCode.NotLeaderOrFollower, -1) : (ErrorCode.None, low);
        }
        catch (TimeoutException)
        {
            return (ErrorCode.RequestTimedOut, -1);
        }
        catch (OperationCanceledException)
        {
            return (ErrorCode.NotLeaderOrFollower, -1);
        }
        finally
        {
            lock (_lock)
                _lowWatermarkWaiters.RemoveAll(w => w.Done == done);
        }
    }

    /// <summary>Completes the DeleteRecords waiters the low watermark has reached (all of them, with -1, when no longer leader).</summary>
    private void CompleteLowWatermarkWaitersLocked()
    {
        if (_lowWatermarkWaiters.Count == 0)
            return;
        var low = LowWatermarkLocked();
        for (var i = _lowWatermarkWaiters.Count - 1; i >= 0; i--)
        {
            if (!_role.IsLeader || _lowWatermarkWaiters[i].Offset <= low)
            {
                _lowWatermarkWaiters[i].Done.TrySetResult(_role.IsLeader ? low : -1);
                _lowWatermarkWaiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Leader: whether a follower that reported <paramref name="followerLogStart"/> is below this log's start and can
    /// move up to it (its fetch offset is not below it), so that its held fetch is answered now rather than at the
    /// end of its wait and DeleteRecords completes within a round trip.
    /// </summary>
    public bool FollowerBehindLogStart(long followerLogStart, long fetchOffset)
    {
        var start = Log.LogStartOffset;
        return followerLogStart >= 0 && followerLogStart < start && fetchOffset >= start;
    }

    /// <summary>
    /// Follower: moves this log's start up to the leader's <paramref name="leaderLogStartOffset"/> (never past the
    /// high watermark), deleting the segments below it, as Kafka's follower does on every fetch response.
    /// </summary>
    public void MaybeIncrementLogStartOffsetAsFollower(int leaderEpoch, long leaderLogStartOffset)
    {
        lock (_lock)
        {
            if (_stopped || _role.IsLeader || _role.LeaderEpoch != leaderEpoch)
                return;
            var offset = Math.Min(leaderLogStartOffset, Log.HighWatermark);
            if (offset <= Log.LogStartOffset)
                return;
            Log.DeleteRecordsBefore(offset);
        }
    }
}
