using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum;

/// <summary>
/// A state machine that can be snapshotted (KIP-630). Both calls run on the quorum's event loop, in order with
/// <see cref="IRaftListener.OnCommitted"/>.
/// </summary>
public interface IRaftSnapshotListener : IRaftListener
{
    /// <summary>
    /// Replaces the whole state with the snapshot's: at start (the latest valid snapshot), or when a snapshot was
    /// fetched from the leader. Committed entries from <paramref name="id"/>'s end offset on follow through
    /// <see cref="IRaftListener.OnCommitted"/>.
    /// </summary>
    void OnSnapshotLoaded(SnapshotId id, byte[] data);

    /// <summary>
    /// The state after everything delivered so far, as a function that serializes it; it runs on another thread,
    /// so what it reads must not change afterwards (an immutable image, say). Keep the capture itself cheap.
    /// </summary>
    Func<byte[]> CaptureSnapshot();
}
