namespace KafkaOperator.Quorum;

/// <summary>
/// The replicated metadata log as the quorum sees it: entries at dense offsets from 0, each with the leader epoch
/// it was appended in. Appends are buffered until <see cref="Flush"/>; only flushed entries survive a crash, so the
/// quorum acknowledges (votes, fetch offsets, the leader's own high-watermark share) only what is flushed.
/// Implementations are used from one thread, the quorum's event loop.
/// </summary>
public interface IRaftLog
{
    /// <summary>The offset the next append gets (exclusive end).</summary>
    long EndOffset { get; }

    /// <summary>
    /// The first offset the log holds (0, or the end offset of the snapshot it was truncated to): entries below it
    /// are only in a snapshot. <see cref="EpochAt"/> of the offset just below it is that snapshot's epoch.
    /// </summary>
    long StartOffset { get; }

    /// <summary>Entries below this offset are durable.</summary>
    long FlushedOffset { get; }

    /// <summary>The epoch of the last entry, 0 when the log is empty.</summary>
    int LastEpoch { get; }

    /// <summary>The entry's epoch, or -1 when <paramref name="offset"/> is outside the log.</summary>
    int EpochAt(long offset);

    /// <summary>
    /// The end offset (exclusive) of the largest epoch &lt;= <paramref name="epoch"/> and that epoch, as Kafka's
    /// leader epoch cache answers OffsetForLeaderEpoch; (0, 0) when no such epoch exists.
    /// </summary>
    (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch);

    /// <summary>Entries from <paramref name="offset"/> on, at most about <paramref name="maxBytes"/> of payload (at least one entry if any).</summary>
    IReadOnlyList<RaftEntry> Read(long offset, int maxBytes);

    /// <summary>Appends entries whose offsets must continue the log exactly.</summary>
    void Append(IReadOnlyList<RaftEntry> entries);

    /// <summary>Removes every entry at or above <paramref name="offset"/> (durably, before returning).</summary>
    void TruncateTo(long offset);

    /// <summary>
    /// Drops the entries below <paramref name="offset"/>, which a snapshot ending there with
    /// <paramref name="epoch"/> now holds (durably, before returning). When the log does not hold the entry just
    /// below <paramref name="offset"/> in that epoch (it ends before it, or diverges there), every entry goes and the
    /// log continues, empty, at <paramref name="offset"/> with <paramref name="epoch"/> as its last epoch.
    /// </summary>
    void TruncatePrefix(long offset, int epoch);

    /// <summary>Drops every entry and the start: the log is empty at offset 0, as on a node that never had one.</summary>
    void Clear();

    /// <summary>Makes every appended entry durable (one fsync for all that were appended since the last flush).</summary>
    void Flush();
}

/// <summary>The election state Raft must keep across crashes: the current epoch and whom this node voted for in it.</summary>
public sealed record QuorumState(int Epoch, int VotedId, int LeaderId);

/// <summary>Durable <see cref="QuorumState"/> (Kafka's quorum-state file). Write returns once the state is durable.</summary>
public interface IQuorumStateStore
{
    QuorumState? Read();

    void Write(QuorumState state);
}
