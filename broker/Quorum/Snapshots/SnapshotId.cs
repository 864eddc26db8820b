using System.Globalization;

namespace KafkaOperator.Quorum.Snapshots;

/// <summary>
/// A snapshot of the state machine after every entry below <see cref="EndOffset"/>, whose last entry was appended in
/// <see cref="Epoch"/> (KIP-630's OffsetAndEpoch). Named on disk as Kafka's Snapshots.java names it:
/// <c>&lt;20-digit end offset&gt;-&lt;10-digit epoch&gt;.checkpoint</c>.
/// </summary>
public readonly record struct SnapshotId(long EndOffset, int Epoch) : IComparable<SnapshotId>
{
    public const string Suffix = ".checkpoint";
    public const string PartialSuffix = ".checkpoint.part";
    public const string DeletedSuffix = ".checkpoint.deleted";

    /// <summary>Where a snapshot that failed its checksum is moved, kept for inspection and never read again.</summary>
    public const string CorruptSuffix = ".checkpoint.corrupt";

    public string FileName => string.Create(CultureInfo.InvariantCulture, $"{EndOffset:D20}-{Epoch:D10}{Suffix}");

    public int CompareTo(SnapshotId other) => EndOffset != other.EndOffset ? EndOffset.CompareTo(other.EndOffset) : Epoch.CompareTo(other.Epoch);

    /// <summary>The id a finished snapshot's file name gives, or null for any other name (partial, deleted, foreign).</summary>
    public static SnapshotId? Parse(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (fileName.Length != 20 + 1 + 10 + Suffix.Length || !fileName.EndsWith(Suffix, StringComparison.Ordinal) || fileName[20] != '-')
            return null;
        if (!long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !int.TryParse(fileName.AsSpan(21, 10), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            return null;
        return new SnapshotId(offset, epoch);
    }

    public static bool operator <(SnapshotId left, SnapshotId right) => left.CompareTo(right) < 0;

    public static bool operator >(SnapshotId left, SnapshotId right) => left.CompareTo(right) > 0;

    public static bool operator <=(SnapshotId left, SnapshotId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SnapshotId left, SnapshotId right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{EndOffset}-{Epoch}";
}

/// <summary>
/// Snapshots a node keeps. <see cref="Write"/> returns once the snapshot is durable and complete (never half
/// visible); <see cref="Read"/> verifies the checksum and throws <see cref="InvalidDataException"/> on a corrupt
/// one. Safe to call from several threads: the quorum's loop reads and deletes while a snapshot is written off it.
/// </summary>
public interface ISnapshotStore
{
    /// <summary>The snapshots held, oldest first.</summary>
    IReadOnlyList<SnapshotId> List();

    byte[] Read(SnapshotId id);

    void Write(SnapshotId id, ReadOnlySpan<byte> data);

    void Delete(SnapshotId id);

    /// <summary>Takes a snapshot that failed its checksum out of <see cref="List"/> (kept aside where the store can).</summary>
    void Quarantine(SnapshotId id);
}

/// <summary>
/// When a node writes a snapshot: after <see cref="MaxBytesBetweenSnapshots"/> of committed payload since the last
/// (Kafka's metadata.log.max.record.bytes.between.snapshots) or <see cref="MaxIntervalMs"/> after it with anything
/// new committed (metadata.log.max.snapshot.interval.ms; 0 turns the timer off). The newest
/// <see cref="Retained"/> snapshots are kept; the log below the oldest of them is deleted.
/// </summary>
public sealed record SnapshotPolicy(long MaxBytesBetweenSnapshots = 20L * 1024 * 1024, long MaxIntervalMs = 3_600_000, int Retained = 2);
