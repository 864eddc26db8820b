using System.Globalization;
using System.IO.Enumeration;
using KafkaOperator.Storage.Checkpoints;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>
/// The files of a partition directory by kind, from one listing: loading 100,000 partitions pays one directory
/// read each instead of one per file kind and one more for <see cref="PartitionDirectories.NotAPartition"/>. The
/// lengths of the segment and index files come from the same listing (one stat relative to the open directory each),
/// so loading an idle log neither stats them again by path nor opens them.
/// </summary>
internal sealed class SegmentFiles
{
    private const string MetaProperties = "meta.properties";

    public List<long> Logs { get; } = [];

    public List<long> Indexes { get; } = [];

    public List<long> TimeIndexes { get; } = [];

    public List<long> Swaps { get; } = [];

    public List<long> Snapshots { get; } = [];

    /// <summary>Lengths of the .log, .index and .timeindex files, by file name.</summary>
    public Dictionary<string, long> Lengths { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the directory holds a leader-epoch-checkpoint file.</summary>
    public bool HasEpochCheckpoint { get; private set; }

    /// <summary>Kafka's leftovers of a crash (.deleted, .cleaned, .tmp): full paths, none holds live data.</summary>
    public List<string> Leftovers { get; } = [];

    /// <summary>Why the directory is not a partition (<see cref="PartitionDirectories.NotAPartition"/>), or null.</summary>
    public string? NotAPartition { get; private set; }

    private static readonly EnumerationOptions Options = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    public static SegmentFiles List(string directory)
    {
        var files = new SegmentFiles();
        string? partitionInside = null;
        bool meta = false, dirLock = false;
        // Names, not full paths: one string per file instead of two, on every log of a loading broker.
        var entries = new FileSystemEnumerable<(string Name, bool IsDirectory, long Length)>(
            directory, static (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory, !e.IsDirectory && HasLength(e.FileName) ? e.Length : -1),
            Options);
        foreach (var (fileName, isDirectory, length) in entries)
        {
            var name = fileName.AsSpan();
            if (isDirectory)
            {
                if (partitionInside is null && (PartitionDirectories.TryParse(fileName, out _, out _) || PartitionDirectories.IsMarkedForDeletion(fileName)))
                {
                    partitionInside = fileName;
                }

                continue;
            }

            if (length >= 0)
            {
                files.Lengths[fileName] = length;
            }

            files.HasEpochCheckpoint |= name.SequenceEqual(LeaderEpochCache.FileName);
            meta |= name.SequenceEqual(MetaProperties);
            dirLock |= name.SequenceEqual(LogDirLock.FileName);
            if (name.EndsWith(LogSegment.DeletedSuffix, StringComparison.Ordinal) || name.EndsWith(LogSegment.CleanedSuffix, StringComparison.Ordinal)
                || name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                files.Leftovers.Add(Path.Combine(directory, fileName));
            }
            else if (!(Add(files.Logs, name, LogSegment.LogSuffix) || Add(files.Indexes, name, LogSegment.IndexSuffix)
                || Add(files.TimeIndexes, name, LogSegment.TimeIndexSuffix) || Add(files.Swaps, name, LogSegment.LogSuffix + LogSegment.SwapSuffix)))
            {
                _ = Add(files.Snapshots, name, ProducerSnapshotFile.Suffix);
            }
        }

        files.NotAPartition = partitionInside is not null ? $"it holds a partition directory ({partitionInside}), as a broker's log dir does"
            : meta ? $"it holds {MetaProperties}, as a broker's log dir does"
            : dirLock ? $"it holds {LogDirLock.FileName}, as a broker's log dir does"
            : null;
        files.Logs.Sort();
        files.Indexes.Sort();
        files.TimeIndexes.Sort();
        files.Swaps.Sort();
        files.Snapshots.Sort();
        return files;
    }

    /// <summary>The length of a listed file, or null when the listing did not see it (a missing file is not 0).</summary>
    public long? LengthOf(string fileName) => Lengths.TryGetValue(fileName, out var length) ? length : null;

    private static bool HasLength(ReadOnlySpan<char> name) =>
        name.EndsWith(LogSegment.LogSuffix, StringComparison.Ordinal) || name.EndsWith(LogSegment.IndexSuffix, StringComparison.Ordinal)
        || name.EndsWith(LogSegment.TimeIndexSuffix, StringComparison.Ordinal);

    private static bool Add(List<long> to, ReadOnlySpan<char> name, string suffix)
    {
        if (name.Length == 20 + suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal)
            && long.TryParse(name[..20], NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            to.Add(b);
            return true;
        }

        return false;
    }
}
