using System.Globalization;
using System.IO.Enumeration;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>
/// The files of a partition directory by kind, from one listing: loading 100,000 partitions pays one directory
/// read each instead of one per file kind and one more for <see cref="PartitionDirectories.NotAPartition"/>.
/// </summary>
internal sealed class SegmentFiles
{
    private const string MetaProperties = "meta.properties";

    public List<long> Logs { get; } = [];

    public List<long> Indexes { get; } = [];

    public List<long> TimeIndexes { get; } = [];

    public List<long> Swaps { get; } = [];

    public List<long> Snapshots { get; } = [];

    /// <summary>Kafka's leftovers of a crash (.deleted, .cleaned, .tmp): full paths, none holds live data.</summary>
    public List<string> Leftovers { get; } = [];

    /// <summary>Why the directory is not a partition (<see cref="PartitionDirectories.NotAPartition"/>), or null.</summary>
    public string? NotAPartition { get; private set; }

    public static SegmentFiles List(string directory)
    {
        var files = new SegmentFiles();
        string? partitionInside = null;
        bool meta = false, dirLock = false;
        var entries = new FileSystemEnumerable<(string Path, bool IsDirectory)>(
            directory, static (ref FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory), new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false });
        foreach (var (file, isDirectory) in entries)
        {
            var name = Path.GetFileName(file.AsSpan());
            if (isDirectory)
            {
                if (partitionInside is null && (PartitionDirectories.TryParse(name.ToString(), out _, out _) || PartitionDirectories.IsMarkedForDeletion(name.ToString())))
                {
                    partitionInside = name.ToString();
                }

                continue;
            }

            meta |= name.SequenceEqual(MetaProperties);
            dirLock |= name.SequenceEqual(LogDirLock.FileName);
            if (name.EndsWith(LogSegment.DeletedSuffix, StringComparison.Ordinal) || name.EndsWith(LogSegment.CleanedSuffix, StringComparison.Ordinal)
                || name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                files.Leftovers.Add(file);
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
