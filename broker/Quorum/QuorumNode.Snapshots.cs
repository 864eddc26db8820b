using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum;

// Snapshots on the node: the core decides when and what (on the loop); the serialization and the file write run on
// the thread pool, so a large image never holds up the loop's timers, and the result comes back as a work item.
public sealed partial class QuorumNode
{
    private volatile Task? _snapshotWork;

    /// <summary>Turns snapshots on; call before <see cref="Start"/>. <paramref name="log"/> hears of corrupt or failed snapshots.</summary>
    public void AttachSnapshots(ISnapshotStore store, SnapshotPolicy policy, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(log);
        if (Volatile.Read(ref _started) != 0)
            throw new InvalidOperationException("snapshots must be attached before the node starts");
        _core.AttachSnapshots(store, policy, work => _snapshotWork = Task.Run(work), log);
    }

    /// <summary>
    /// Logs when an entry of 16 KiB or more is appended, durable and committed here (times on the
    /// monotonic clock, shared by the processes of a machine); call before <see cref="Start"/>.
    /// </summary>
    public void AttachLargeEntryTrace(Action<string> trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        _core.AttachLargeEntryTrace(trace);
    }

    /// <summary>Waits for a snapshot being written off the loop (the core starts one at a time), so nothing writes after disposal.</summary>
    private Task WaitSnapshotWorkAsync() => _snapshotWork ?? Task.CompletedTask;

    /// <summary>The newest snapshot this node holds (as of the loop's last iteration), or null.</summary>
    public SnapshotId? LatestSnapshot => _snapshot.LatestSnapshot;
}
