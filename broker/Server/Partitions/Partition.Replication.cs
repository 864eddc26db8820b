using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Storage;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Partitions;

/// <summary>Roles, follower tracking, the high watermark, ISR change requests and delayed acks=all produces.</summary>
public sealed partial class Partition
{
    private readonly Dictionary<int, FollowerState> _followers = [];
    private readonly List<(long Offset, TaskCompletionSource<ErrorCode> Done)> _hwWaiters = [];
    private List<(TaskCompletionSource<ErrorCode> Done, ErrorCode Result)>? _hwReady; // decided under the lock, completed after it
    private int[]? _pendingIsr;
    private int _pendingBasedOnPartitionEpoch = -1;
    private bool _stopped;

    /// <summary>Set by the replica manager: where ISR changes go (null until the broker's services start).</summary>
    public IIsrChangeChannel? IsrChannel { get; set; }

    public int[]? PendingIsr
    {
        get
        {
            lock (_lock)
                return _pendingIsr;
        }
    }

    /// <summary>
    /// Applies the committed state of this partition. Returns the transition: a new leader epoch makes this replica
    /// leader (followers' positions start unknown, so the HW waits for them) or follower (acks=all waiters fail with
    /// NOT_LEADER_OR_FOLLOWER); the same epoch with a new ISR updates the ISR only.
    /// </summary>
    public RoleChange ApplyMetadata(PartitionMetadata meta, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(meta);
        List<TaskCompletionSource<ErrorCode>>? failed = null;
        RoleChange change;
        lock (_lock)
        {
            var old = _role;
            var leads = meta.Leader == LocalBrokerId;
            if (meta.LeaderEpoch < old.LeaderEpoch || (meta.LeaderEpoch == old.LeaderEpoch && meta.PartitionEpoch < old.PartitionEpoch))
                return RoleChange.None; // metadata older than what was applied: never go back
            var role = new ReplicaRole(meta.Leader, meta.LeaderEpoch, meta.PartitionEpoch, meta.Replicas, meta.Isr, leads);
            if (meta.LeaderEpoch != old.LeaderEpoch || leads != old.IsLeader)
            {
                _followers.Clear();
                _pendingIsr = null;
                if (leads)
                {
                    foreach (var r in meta.Replicas)
                    {
                        if (r != LocalBrokerId)
                            _followers[r] = new FollowerState { LastCaughtUpMs = nowMs };
                    }
                    // Later leaders must know where this epoch started (KIP-101): the epoch cache gets it even
                    // before the first append of the epoch.
                    Log.EpochCache.Assign(meta.LeaderEpoch, Log.LogEndOffset);
                    change = RoleChange.BecameLeader;
                    _role = role;
                    MaybeAdvanceHighWatermarkLocked();
                }
                else
                {
                    failed = [.. _hwWaiters.Select(w => w.Done)];
                    _hwWaiters.Clear();
                    change = RoleChange.BecameFollower;
                }
                _role = role;
                CompleteLowWatermarkWaitersLocked();
            }
            else
            {
                if (_pendingIsr is not null && meta.PartitionEpoch != old.PartitionEpoch)
                    _pendingIsr = null; // the controller decided (ours or another change); decide again from here
                _role = role;
                change = RoleChange.IsrChanged;
                if (leads)
                {
                    SyncFollowersLocked(meta.Replicas, nowMs);
                    MaybeAdvanceHighWatermarkLocked();
                    CompleteLowWatermarkWaitersLocked();
                }
            }
        }
        CompleteReadyWaiters();
        if (failed is not null)
            FailLater(failed);
        Signal.Notify();
        return change;
    }

    /// <summary>
    /// A reassignment changes the replicas within a leader epoch: replicas being added get a follower entry (their
    /// fetches are accepted from now on), replicas that left lose theirs.
    /// </summary>
    private void SyncFollowersLocked(int[] replicas, long nowMs)
    {
        foreach (var r in replicas)
        {
            if (r != LocalBrokerId && !_followers.ContainsKey(r))
                _followers[r] = new FollowerState { LastCaughtUpMs = nowMs };
        }
        foreach (var gone in _followers.Keys.Where(r => Array.IndexOf(replicas, r) < 0).ToList())
            _followers.Remove(gone);
    }

    /// <summary>
    /// This broker is no longer a replica (a reassignment removed it): acks=all waiters fail with
    /// NOT_LEADER_OR_FOLLOWER and no follower append or truncation happens any more, so that the log can be deleted.
    /// </summary>
    public void StopReplica()
    {
        List<TaskCompletionSource<ErrorCode>> failed;
        lock (_lock)
        {
            _stopped = true;
            _role = ReplicaRole.None with { LeaderEpoch = int.MaxValue, PartitionEpoch = int.MaxValue };
            failed = [.. _hwWaiters.Select(w => w.Done)];
            _hwWaiters.Clear();
            _followers.Clear();
            CompleteLowWatermarkWaitersLocked();
        }
        FailLater(failed);
        Signal.Notify();
    }

    /// <summary>
    /// Waiters failed by a leadership change or a stop complete on the thread pool: their continuations write
    /// responses, which must not run on the metadata thread that is applying the change (under its locks).
    /// </summary>
    private static void FailLater(List<TaskCompletionSource<ErrorCode>> failed)
    {
        foreach (var w in failed)
            ThreadPool.UnsafeQueueUserWorkItem(static done => done.TrySetResult(ErrorCode.NotLeaderOrFollower), w, preferLocal: false);
    }

    /// <summary>
    /// The leader's bookkeeping for a follower's fetch at <paramref name="fetchOffset"/> (its log end offset): moves
    /// the HW, and asks for the follower's return to the ISR once it has caught up. Returns the error for a fetcher
    /// that is not a follower of this partition.
    /// </summary>
    public ErrorCode UpdateFollowerFetch(int replicaId, long fetchOffset, long nowMs, long logStartOffset = -1)
    {
        try
        {
            return UpdateFollowerFetchLocked(replicaId, fetchOffset, nowMs, logStartOffset);
        }
        finally
        {
            CompleteReadyWaiters();
        }
    }

    private ErrorCode UpdateFollowerFetchLocked(int replicaId, long fetchOffset, long nowMs, long logStartOffset)
    {
        lock (_lock)
        {
            var role = _role;
            if (!role.IsLeader)
                return ErrorCode.NotLeaderOrFollower;
            if (!_followers.TryGetValue(replicaId, out var follower))
                return ErrorCode.NotLeaderOrFollower;
            var leaderEnd = Log.LogEndOffset;
            if (fetchOffset >= leaderEnd)
                follower.LastCaughtUpMs = nowMs;
            else if (follower.LeaderEndOffsetAtLastFetch >= 0 && fetchOffset >= follower.LeaderEndOffsetAtLastFetch)
                follower.LastCaughtUpMs = Math.Max(follower.LastCaughtUpMs, follower.LastFetchMs);
            follower.LogEndOffset = fetchOffset;
            follower.LastFetchMs = nowMs;
            if (logStartOffset >= 0)
                follower.LogStartOffset = logStartOffset;
            follower.LeaderEndOffsetAtLastFetch = leaderEnd;
            MaybeExpandIsrLocked(role, replicaId, follower);
            MaybeAdvanceHighWatermarkLocked();
            CompleteLowWatermarkWaitersLocked();
            return ErrorCode.None;
        }
    }

    /// <summary>Leader: asks to remove followers that have not caught up within replica.lag.time.max.ms.</summary>
    public void MaybeShrinkIsr(long nowMs, long maxLagMs)
    {
        lock (_lock)
        {
            var role = _role;
            if (!role.IsLeader || _pendingIsr is not null)
                return;
            var leaderEnd = Log.LogEndOffset;
            var keep = role.Isr.Where(r => r == LocalBrokerId
                || !_followers.TryGetValue(r, out var f)
                || f.LogEndOffset >= leaderEnd
                || nowMs - f.LastCaughtUpMs <= maxLagMs).ToArray();
            if (keep.Length == role.Isr.Length)
                return;
            SubmitLocked(role, keep);
        }
    }

    private void MaybeExpandIsrLocked(ReplicaRole role, int replicaId, FollowerState follower)
    {
        if (_pendingIsr is not null || Array.IndexOf(role.Isr, replicaId) >= 0)
            return;
        // A fenced or stopping broker would be refused (INELIGIBLE_REPLICA), and while the request is pending the HW
        // would wait for it: ask only for brokers the controller can take.
        if (IsrChannel is { } channel && !channel.IsEligible(replicaId))
            return;
        // As Kafka: caught up to the HW and into the current leader epoch, so it holds every committed record.
        var epochStart = Log.EpochCache.Entries.LastOrDefault(e => e.Epoch == role.LeaderEpoch).StartOffset;
        if (follower.LogEndOffset < Log.HighWatermark || follower.LogEndOffset < epochStart)
            return;
        SubmitLocked(role, [.. role.Isr, replicaId]);
    }

    private void SubmitLocked(ReplicaRole role, int[] newIsr)
    {
        if (IsrChannel is not { } channel)
            return;
        _pendingIsr = newIsr;
        _pendingBasedOnPartitionEpoch = role.PartitionEpoch;
        channel.Submit(this, role, newIsr);
    }

    /// <summary>The ISR change request failed or was refused: forget it so that it can be decided again.</summary>
    public void ClearPendingIsr(int basedOnPartitionEpoch)
    {
        lock (_lock)
        {
            if (_pendingBasedOnPartitionEpoch == basedOnPartitionEpoch)
                _pendingIsr = null;
        }
    }

    /// <summary>
    /// HW = the lowest log end offset over the ISR and any follower being added to it (Kafka's "maximal ISR"); a
    /// follower whose position is not known yet in this epoch holds it. It never moves back.
    /// </summary>
    private void MaybeAdvanceHighWatermarkLocked()
    {
        var role = _role;
        if (!role.IsLeader)
            return;
        var hw = Log.LogEndOffset;
        foreach (var r in role.Isr)
            hw = Math.Min(hw, EndOffsetOf(r));
        if (_pendingIsr is { } pending)
        {
            foreach (var r in pending)
                hw = Math.Min(hw, EndOffsetOf(r));
        }
        if (hw <= Log.HighWatermark)
            return;
        Log.HighWatermark = hw;
        hw = Log.HighWatermark;
        if (_hwWaiters.Count > 0)
        {
            var result = role.Isr.Length >= _config.MinInsyncReplicas ? ErrorCode.None : ErrorCode.NotEnoughReplicasAfterAppend;
            var kept = 0;
            for (var i = 0; i < _hwWaiters.Count; i++)
            {
                var w = _hwWaiters[i];
                if (w.Offset <= hw)
                    (_hwReady ??= []).Add((w.Done, result));
                else
                    _hwWaiters[kept++] = w;
            }
            _hwWaiters.RemoveRange(kept, _hwWaiters.Count - kept);
        }
        Signal.Notify();
    }

    /// <summary>
    /// Completes the acks=all waiters the HW passed, after the lock: their continuations run here, on the thread that
    /// moved the HW (usually the socket thread that read the follower's fetch), and write the produce responses
    /// without a hop through the thread pool, which under load queued them behind other work. In offset order.
    /// </summary>
    private void CompleteReadyWaiters()
    {
        if (Volatile.Read(ref _hwReady) is null)
            return;
        List<(TaskCompletionSource<ErrorCode> Done, ErrorCode Result)>? ready;
        lock (_lock)
        {
            ready = _hwReady;
            _hwReady = null;
        }
        if (ready is null)
            return;
        foreach (var (done, result) in ready)
            done.TrySetResult(result);
    }

    private long EndOffsetOf(int replica) =>
        replica == LocalBrokerId ? Log.LogEndOffset : _followers.TryGetValue(replica, out var f) ? f.LogEndOffset : -1;

    /// <summary>
    /// acks=all: completes with None once the HW reaches <paramref name="endOffset"/> (with the ISR still at
    /// min.insync.replicas), NOT_LEADER_OR_FOLLOWER if leadership moves first, REQUEST_TIMED_OUT after the timeout.
    /// </summary>
    public async Task<ErrorCode> WaitForHighWatermarkAsync(long endOffset, int timeoutMs, CancellationToken stopping)
    {
        TaskCompletionSource<ErrorCode> done;
        lock (_lock)
        {
            if (!_role.IsLeader)
                return ErrorCode.NotLeaderOrFollower;
            if (Log.HighWatermark >= endOffset)
                return _role.Isr.Length >= _config.MinInsyncReplicas ? ErrorCode.None : ErrorCode.NotEnoughReplicasAfterAppend;
            // Synchronous continuations: completed outside the lock only (CompleteReadyWaiters, FailLater).
            done = new TaskCompletionSource<ErrorCode>();
            _hwWaiters.Add((endOffset, done));
        }
        try
        {
            return await done.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs)), stopping).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return ErrorCode.RequestTimedOut;
        }
        catch (OperationCanceledException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
        finally
        {
            // Completed means already taken off the list by whoever completed it.
            if (!done.Task.IsCompleted)
            {
                lock (_lock)
                    _hwWaiters.RemoveAll(w => w.Done == done);
            }
        }
    }

    /// <summary>
    /// Follower: appends what the leader of <paramref name="leaderEpoch"/> sent and moves the HW to
    /// min(leader's HW, own LEO). Refused (false) when this replica no longer follows that epoch.
    /// </summary>
    public bool AppendAsFollower(int leaderEpoch, ReadOnlyMemory<byte> records, long leaderHighWatermark, out ErrorCode error)
    {
        error = ErrorCode.None;
        lock (_lock)
        {
            var role = _role;
            if (_stopped || role.IsLeader || role.LeaderEpoch != leaderEpoch)
                return false;
            try
            {
                if (!records.IsEmpty)
                {
                    var result = Log.AppendAsFollower(records);
                    if (result.Error != ErrorCode.None)
                    {
                        error = result.Error;
                        return true;
                    }
                    if (result.LastOffset + 1 - Log.RecoveryPoint >= Log.Config.FlushMessages)
                        Log.Flush(result.LastOffset + 1);
                }
                _leaderHighWatermark = leaderHighWatermark;
                Log.HighWatermark = Math.Min(leaderHighWatermark, Log.LogEndOffset);
            }
            catch (Exception ex) when (ex is KafkaStorageException or IOException)
            {
                Server.Log.Error($"follower append to {Topic}-{Index} failed", ex);
                error = ErrorCode.KafkaStorageError;
            }
        }
        Signal.Notify();
        return true;
    }

    /// <summary>Follower: truncates to <paramref name="offset"/> (a divergence the leader reported); false when no longer following that epoch.</summary>
    public bool TruncateAsFollower(int leaderEpoch, long offset, bool restartAt = false)
    {
        lock (_lock)
        {
            var role = _role;
            if (_stopped || role.IsLeader || role.LeaderEpoch != leaderEpoch)
                return false;
            if (restartAt)
            {
                Log.TruncateFullyAndStartAt(offset);
                Server.Log.Info($"{Topic}-{Index}: follower log restarted at offset {offset} (below the leader's log start)");
            }
            else if (Log.TruncateTo(offset))
            {
                Server.Log.Info($"{Topic}-{Index}: follower truncated to offset {offset} (diverged from the leader of epoch {leaderEpoch})");
            }
            return true;
        }
    }
}

/// <summary>What applying metadata did to a replica.</summary>
public enum RoleChange
{
    None,
    BecameLeader,

    /// <summary>Follows a new leader epoch (from leading, or from following an earlier one): fetching restarts.</summary>
    BecameFollower,

    IsrChanged,
}
