using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum;

// KIP-630's FetchSnapshot (API 59), in the same wire-free shape as the other Raft RPCs: a follower whose fetch
// offset is below the leader's log start is told the leader's latest snapshot (FetchResponse.Snapshot) and pulls
// it in chunks by position, then fetches the log from the snapshot's end.

/// <summary>A chunk of <paramref name="Snapshot"/> from byte <paramref name="Position"/>, at most <paramref name="MaxBytes"/> long.</summary>
public sealed record FetchSnapshotRequest(string ClusterId, int ReplicaId, int ReplicaEpoch, SnapshotId Snapshot, long Position, int MaxBytes)
    : RaftRequest(ClusterId);

/// <summary>
/// The chunk: <paramref name="Bytes"/> at <paramref name="Position"/> of a snapshot of <paramref name="Size"/> bytes.
/// SNAPSHOT_NOT_FOUND when the leader no longer holds it, POSITION_OUT_OF_RANGE past its end.
/// </summary>
public sealed record FetchSnapshotResponse(short ErrorCode, int LeaderId, int LeaderEpoch, SnapshotId Snapshot, long Size, long Position, byte[] Bytes)
    : RaftResponse(ErrorCode);
