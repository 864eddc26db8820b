using KafkaOperator.Quorum.Roles;
using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum;

// Snapshots (KIP-630): every node writes its own, of committed state only, once enough has been committed since
// the last or the interval passed; the newest few are kept and the log below the oldest kept one is deleted. At
// start the latest valid snapshot is loaded and the log after it replayed. A follower whose fetch offset is below
// the leader's log start is sent the leader's latest snapshot id, fetches it in chunks (FetchSnapshot), installs
// it, and fetches the log from its end.
internal sealed partial class RaftClient
{
    private ISnapshotStore? _snapshots;
    private SnapshotPolicy _policy = new();
    private Action<Action> _background = work => work();
    private Action<string> _snapshotLog = _ => { };
    private long _bytesSinceSnapshot;
    private long _lastSnapshotMs;
    private bool _snapshotting;
    private (SnapshotId Id, byte[] Data)? _served;
    private SnapshotFetch? _fetching;

    /// <summary>The newest snapshot this node holds, or null.</summary>
    public SnapshotId? LatestSnapshot { get; private set; }

    /// <summary>
    /// Turns snapshots on (before <see cref="Initialize"/>): <paramref name="background"/> runs a snapshot's
    /// serialization and write off the loop (inline in a simulation); <paramref name="log"/> hears of corrupt ones.
    /// </summary>
    public void AttachSnapshots(ISnapshotStore store, SnapshotPolicy policy, Action<Action> background, Action<string> log)
    {
        _snapshots = store;
        _policy = policy;
        _background = background;
        _snapshotLog = log;
    }

    private IRaftSnapshotListener? SnapshotListener => _snapshots is null ? null : _listener as IRaftSnapshotListener;

    /// <summary>Loads the latest snapshot the log reaches back to; a corrupt one is set aside and an older one tried.</summary>
    private void LoadSnapshot(long nowMs)
    {
        _lastSnapshotMs = nowMs;
        if (SnapshotListener is null)
            return;
        var ids = _snapshots!.List();
        for (var i = ids.Count - 1; i >= 0; i--)
        {
            var id = ids[i];
            // The log must continue the snapshot: older ones reach back even less far.
            if (id.EndOffset < _log.StartOffset)
                break;
            byte[] data;
            try
            {
                data = _snapshots.Read(id);
            }
            catch (InvalidDataException ex)
            {
                _snapshotLog($"{ex.Message}; refused and renamed {SnapshotId.CorruptSuffix}, trying an older one");
                _snapshots.Quarantine(id);
                continue;
            }
            if (id.EndOffset > _log.EndOffset || _log.EpochAt(id.EndOffset - 1) != id.Epoch)
                _log.TruncatePrefix(id.EndOffset, id.Epoch);
            Install(id, data, nowMs);
            return;
        }
        if (_log.StartOffset > 0)
        {
            // The log begins after a snapshot this node no longer has intact: nothing here can rebuild the state,
            // so it starts over as a new member would and fetches a snapshot from the leader.
            _snapshotLog($"no valid snapshot reaches the metadata log's start at offset {_log.StartOffset}; the log is cleared and a snapshot will be fetched from the leader");
            _log.Clear();
            _voters.Clear();
        }
    }

    /// <summary>The state is now the snapshot's: delivery continues at its end, which is committed.</summary>
    private void Install(SnapshotId id, byte[] data, long nowMs)
    {
        var (voters, state) = SnapshotRecords.Decode(data, id.FileName);
        _voters.TruncateTo(_log.EndOffset);
        _voters.ReplacePrefix(id.EndOffset, voters);
        OnVotersChanged(nowMs);
        SnapshotListener!.OnSnapshotLoaded(id, state);
        _delivered = id.EndOffset;
        if (HighWatermark < id.EndOffset)
            HighWatermark = id.EndOffset;
        if (LatestSnapshot is null || id > LatestSnapshot.Value)
            LatestSnapshot = id;
        _bytesSinceSnapshot = 0;
    }

    /// <summary>Starts a snapshot of what has been delivered when one is due and none is being written.</summary>
    private void MaybeSnapshot(long nowMs)
    {
        if (SnapshotListener is not { } listener || _snapshotting || _delivered <= (LatestSnapshot?.EndOffset ?? 0))
            return;
        if (_bytesSinceSnapshot < _policy.MaxBytesBetweenSnapshots && (_policy.MaxIntervalMs <= 0 || nowMs - _lastSnapshotMs < _policy.MaxIntervalMs))
            return;
        var id = new SnapshotId(_delivered, _log.EpochAt(_delivered - 1));
        var voters = _voters.Before(_delivered);
        var state = listener.CaptureSnapshot();
        byte[] capture() => SnapshotRecords.Encode(id, voters, state());
        var counted = _bytesSinceSnapshot;
        var store = _snapshots!;
        _snapshotting = true;
        _background(() =>
        {
            try
            {
                store.Write(id, capture());
                _post(now => OnSnapshotWritten(id, counted, now));
            }
#pragma warning disable CA1031 // reported on the loop and retried at the next trigger; the log stays as it is meanwhile
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _post(now => OnSnapshotFailed(id, ex, now));
            }
        });
    }

    private void OnSnapshotWritten(SnapshotId id, long counted, long nowMs)
    {
        _snapshotting = false;
        _bytesSinceSnapshot = Math.Max(0, _bytesSinceSnapshot - counted);
        _lastSnapshotMs = nowMs;
        if (LatestSnapshot is null || id > LatestSnapshot.Value)
            LatestSnapshot = id;
        ApplyRetention();
    }

    private void OnSnapshotFailed(SnapshotId id, Exception ex, long nowMs)
    {
        _snapshotting = false;
        _lastSnapshotMs = nowMs;
        _snapshotLog($"writing snapshot {id} failed: {ex.Message}");
    }

    /// <summary>Keeps the newest snapshots the policy asks for and deletes the log below the oldest of them.</summary>
    private void ApplyRetention()
    {
        var ids = _snapshots!.List();
        var drop = Math.Max(0, ids.Count - Math.Max(1, _policy.Retained));
        for (var i = 0; i < drop; i++)
        {
            _snapshots.Delete(ids[i]);
            if (_served?.Id == ids[i])
                _served = null;
        }
        if (ids.Count == 0)
            return;
        var oldest = ids[drop];
        if (oldest.EndOffset > _log.StartOffset && oldest.EndOffset <= _delivered)
        {
            _log.TruncatePrefix(oldest.EndOffset, oldest.Epoch);
            _voters.ReplacePrefix(oldest.EndOffset, null);
        }
    }

    /// <summary>A fetch below the log start: the leader's latest snapshot is what the follower needs.</summary>
    private FetchResponse SnapshotAnswer(LeaderState leader)
    {
        // A log that starts above 0 started at a snapshot; one set aside as corrupt since leaves none to offer.
        if (_snapshots?.List() is not [.., var latest])
            return FetchError(RaftErrors.SnapshotNotFound);
        return new FetchResponse(RaftErrors.None, LocalId, leader.Epoch, HighWatermark, _log.StartOffset, -1, -1, [], EndpointOf(LocalId), latest);
    }

    private FetchSnapshotResponse HandleFetchSnapshot(FetchSnapshotRequest request, long nowMs)
    {
        FetchSnapshotResponse Error(short code) => new(code, _state.LeaderId, _state.Epoch, request.Snapshot, 0, request.Position, []);
        if (_state is not LeaderState leader || request.ReplicaEpoch > leader.Epoch)
            return Error(request.ReplicaEpoch < _state.Epoch ? RaftErrors.FencedLeaderEpoch : request.ReplicaEpoch > _state.Epoch ? RaftErrors.UnknownLeaderEpoch : RaftErrors.NotLeaderOrFollower);
        if (request.ReplicaEpoch < leader.Epoch)
            return Error(RaftErrors.FencedLeaderEpoch);
        if (_snapshots is null || !_snapshots.List().Contains(request.Snapshot))
            return Error(RaftErrors.SnapshotNotFound);
        if (_served?.Id != request.Snapshot)
        {
            try
            {
                _served = (request.Snapshot, _snapshots.Read(request.Snapshot));
            }
            catch (InvalidDataException ex)
            {
                _snapshotLog($"{ex.Message}; refused and renamed {SnapshotId.CorruptSuffix}");
                _snapshots.Quarantine(request.Snapshot);
                return Error(RaftErrors.SnapshotNotFound);
            }
        }
        var data = _served!.Value.Data;
        if (request.Position < 0 || request.Position > data.Length)
            return Error(RaftErrors.PositionOutOfRange);
        if (leader.IsReplica(request.ReplicaId))
            leader.OnSnapshotFetch(request.ReplicaId, nowMs);
        var length = (int)Math.Min(data.Length - request.Position, Math.Min(Math.Max(request.MaxBytes, 1), _config.MaxFetchBytes));
        return new FetchSnapshotResponse(RaftErrors.None, LocalId, leader.Epoch, request.Snapshot, data.Length, request.Position, data.AsSpan((int)request.Position, length).ToArray());
    }

    /// <summary>The leader says this node is behind its log start: fetch its snapshot before anything else.</summary>
    private void StartSnapshotFetch(FollowerState follower, SnapshotId id, long nowMs)
    {
        if (SnapshotListener is null)
        {
            follower.NextFetchAtMs = nowMs + RetryBackoffMs;
            return;
        }
        _fetching = new SnapshotFetch(follower, id, new MemoryStream());
        follower.NextFetchAtMs = long.MaxValue;
        SendSnapshotChunk(_fetching, nowMs);
    }

    private void SendSnapshotChunk(SnapshotFetch fetch, long nowMs)
    {
        var request = new FetchSnapshotRequest(_config.ClusterId, LocalId, fetch.Follower.Epoch, fetch.Id, fetch.Buffer.Length, _config.MaxFetchBytes);
        fetch.Request = request;
        fetch.SentMs = nowMs;
        Send(fetch.Follower.LeaderId, request, fetch.Follower);
    }

    private void OnFetchSnapshotResponse(FollowerState follower, FetchSnapshotResponse? response, long nowMs)
    {
        var fetch = _fetching!;
        if (response is null || response.ErrorCode != RaftErrors.None || response.Snapshot != fetch.Id || response.Position != fetch.Buffer.Length
            || (response.Bytes.Length == 0 && fetch.Buffer.Length < response.Size))
        {
            // Start over with a fetch: the leader names its latest snapshot again (it may have a newer one by now).
            _fetching = null;
            follower.NextFetchAtMs = nowMs + RetryBackoffMs;
            return;
        }
        follower.FetchTimeoutAtMs = nowMs + _config.FetchTimeoutMs;
        follower.HeardFromLeaderMs = nowMs;
        fetch.Buffer.Write(response.Bytes);
        if (fetch.Buffer.Length < response.Size)
        {
            SendSnapshotChunk(fetch, nowMs);
            return;
        }
        _fetching = null;
        var data = fetch.Buffer.ToArray();
        if (fetch.Id.EndOffset > _delivered)
        {
            try
            {
                SnapshotRecords.Decode(data, $"{fetch.Id.FileName} fetched from node {follower.LeaderId}");
            }
            catch (InvalidDataException ex)
            {
                // Never stored: fetch again, the leader names its latest snapshot anew.
                _snapshotLog($"{ex.Message}; refused, fetching again");
                follower.NextFetchAtMs = nowMs + RetryBackoffMs;
                return;
            }
            // Durable before the log below it goes: a crash now restarts from this snapshot.
            _snapshots!.Write(fetch.Id, data);
            _log.TruncatePrefix(fetch.Id.EndOffset, fetch.Id.Epoch);
            Install(fetch.Id, data, nowMs);
            ApplyRetention();
        }
        follower.NextFetchAtMs = nowMs;
        SendFetch(follower, follower.LeaderId, nowMs);
    }

    /// <summary>A snapshot being fetched: the role that asked for it, what has arrived, the chunk request in flight.</summary>
    private sealed class SnapshotFetch(FollowerState follower, SnapshotId id, MemoryStream buffer)
    {
        public FollowerState Follower { get; } = follower;

        public SnapshotId Id { get; } = id;

        public MemoryStream Buffer { get; } = buffer;

        public FetchSnapshotRequest? Request { get; set; }

        public long SentMs { get; set; }
    }
}
