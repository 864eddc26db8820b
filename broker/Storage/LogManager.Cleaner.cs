using KafkaOperator.Storage.Checkpoints;

namespace KafkaOperator.Storage;

/// <summary>The compaction cleaner: one pass over the compacted logs, and its checkpoint.</summary>
public sealed partial class LogManager
{
    public const string CleanerOffsetCheckpoint = "cleaner-offset-checkpoint";

    /// <summary>Cleans every compacted log whose dirty ratio is due; returns the passes that rewrote something.</summary>
    public int RunCleaner(bool force = false)
    {
        var cleaned = 0;
        var now = NowMs;
        foreach (var log in _logs.Values)
        {
            if (!log.Config.Compact)
            {
                continue;
            }

            Guard(() =>
            {
                if (log.Compact(now, _options.CleanerMaxKeys, force) is { SegmentsIn: > 0 })
                {
                    cleaned++;
                }
            });
        }

        if (cleaned > 0)
        {
            Guard(WriteCleanerCheckpoints);
        }

        return cleaned;
    }

    private void WriteCleanerCheckpoints()
    {
        foreach (var dir in LogDirs)
        {
            CheckpointFile.WriteOffsets(Path.Combine(dir, CleanerOffsetCheckpoint),
                _logs.Where(kv => kv.Value.LogDir == dir && kv.Value.CleanerCheckpoint >= 0)
                    .Select(kv => KeyValuePair.Create(kv.Key, kv.Value.CleanerCheckpoint)));
        }
    }

    private void LoadCleanerCheckpoints()
    {
        foreach (var dir in LogDirs)
        {
            foreach (var ((topic, partition), offset) in CheckpointFile.ReadOffsets(Path.Combine(dir, CleanerOffsetCheckpoint)))
            {
                if (GetLog(topic, partition) is { } log && log.LogDir == dir)
                {
                    log.CleanerCheckpoint = Math.Min(offset, log.LogEndOffset);
                }
            }
        }
    }
}
