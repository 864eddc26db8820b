using System.Globalization;

namespace KafkaOperator.Storage;

/// <summary>
/// Which subdirectories of a log dir are partitions, judged before anything in them is opened, recovered or
/// deleted. A log dir can hold more than partitions: the quorum's `__cluster_metadata-0`, and, when one broker's dir
/// is the parent of others' (e.g. ./data and ./data/broker-0), whole log dirs whose names happen to look like
/// `topic-partition`; those must be left alone, whatever the cluster metadata says.
/// </summary>
public static class PartitionDirectories
{
    private const int MaxTopicLength = 249;
    private const int DeleteIdLength = 32;

    /// <summary>
    /// Parses Kafka's `topic-partition`: a legal topic name (1..249 of [a-zA-Z0-9._-], not "." or "..") and a
    /// partition number written as the broker writes it (no sign, no leading zero), so the name round-trips.
    /// </summary>
    public static bool TryParse(string name, out string topic, out int partition)
    {
        ArgumentNullException.ThrowIfNull(name);
        topic = "";
        partition = -1;
        var dash = name.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            || !name.AsSpan(dash + 1).SequenceEqual(p.ToString(CultureInfo.InvariantCulture)) || !IsLegalTopic(name.AsSpan(0, dash)))
        {
            return false;
        }

        topic = name[..dash];
        partition = p;
        return true;
    }

    /// <summary>`topic-partition.&lt;32 hex digits&gt;-delete`: a partition the broker renamed to delete it.</summary>
    public static bool IsMarkedForDeletion(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.EndsWith(LogManager.DeleteDirSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        var stem = name[..^LogManager.DeleteDirSuffix.Length];
        var dot = stem.LastIndexOf('.');
        return dot > 0 && stem.Length - dot - 1 == DeleteIdLength && stem.AsSpan(dot + 1).IndexOfAnyExcept("0123456789abcdef") < 0
            && TryParse(stem[..dot], out _, out _);
    }

    /// <summary>
    /// Why a directory with a partition's name is not one, or null when it may be: a partition never holds a log
    /// dir's own meta.properties or .lock, nor partition directories of its own. (Any other subdirectory, e.g. one
    /// where a segment file should be, is the partition's damage: it loads offline, with its files kept.)
    /// </summary>
    public static string? NotAPartition(string path) => SegmentFiles.List(path).NotAPartition;

    private static bool IsLegalTopic(ReadOnlySpan<char> topic) =>
        topic.Length is > 0 and <= MaxTopicLength && topic is not "." and not ".."
        && topic.IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") < 0;
}
