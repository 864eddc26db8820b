using System.Globalization;
using System.Text;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Checkpoints;

// Exception policy: Write throws KafkaStorageException; Read returns null for a missing file and throws
// KafkaStorageException for a malformed one (Kafka refuses to start on a corrupt checkpoint too).

/// <summary>
/// Kafka's checkpoint text format: a version line (0), a count line, then one entry per line with fields separated
/// by single spaces. Written atomically (tmp, fsync, rename, directory fsync).
/// </summary>
public static class CheckpointFile
{
    public const int Version = 0;

    public static void Write(string path, IReadOnlyCollection<string[]> entries, bool durable = true)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sb = new StringBuilder();
        sb.Append(Version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var e in entries)
        {
            sb.AppendJoin(' ', e).Append('\n');
        }

        AtomicFile.WriteAllText(path, sb.ToString(), durable);
    }

    public static List<string[]>? Read(string path, int fieldsPerLine)
    {
        string[] lines;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read checkpoint {path}: {e.Message}", e);
        }

        if (lines.Length < 2 || lines[0].Trim() != "0"
            || !int.TryParse(lines[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || lines.Length < 2 + count)
        {
            throw new KafkaStorageException($"Malformed checkpoint file {path}");
        }

        var result = new List<string[]>(count);
        for (var i = 0; i < count; i++)
        {
            var fields = lines[2 + i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != fieldsPerLine)
            {
                throw new KafkaStorageException($"Malformed line {i + 3} in checkpoint file {path}: '{lines[2 + i]}'");
            }

            result.Add(fields);
        }

        return result;
    }

    /// <summary>Reads a `topic partition offset` checkpoint (recovery point, log start offset, high watermark).</summary>
    public static Dictionary<(string Topic, int Partition), long> ReadOffsets(string path)
    {
        var map = new Dictionary<(string, int), long>();
        foreach (var f in Read(path, 3) ?? [])
        {
            if (!int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p)
                || !long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var o))
            {
                throw new KafkaStorageException($"Malformed entry '{string.Join(' ', f)}' in checkpoint file {path}");
            }

            map[(f[0], p)] = o;
        }

        return map;
    }

    public static void WriteOffsets(string path, IEnumerable<KeyValuePair<(string Topic, int Partition), long>> offsets)
    {
        var entries = offsets
            .OrderBy(e => e.Key.Topic, StringComparer.Ordinal).ThenBy(e => e.Key.Partition)
            .Select(e => new[] { e.Key.Topic, e.Key.Partition.ToString(CultureInfo.InvariantCulture), e.Value.ToString(CultureInfo.InvariantCulture) })
            .ToList();
        Write(path, entries);
    }
}
