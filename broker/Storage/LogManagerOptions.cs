namespace KafkaOperator.Storage;

/// <summary>Broker-level storage settings (Kafka's log.* broker configs that are not per topic).</summary>
public sealed class LogManagerOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Cap on open handles of inactive segments (the LRU); active segments keep theirs.</summary>
    public int MaxOpenInactiveFiles { get; init; } = 1000;

    /// <summary>
    /// Start kernel writeback after this many bytes appended to a segment (0 = leave it to the kernel). Measured
    /// here with 3 GiB of 1 MB batches: no kick 134-428 MiB/s, every 16 MiB 299-734 MiB/s, every 64 MiB 241-645 MiB/s.
    /// </summary>
    public long WritebackBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>log.retention.check.interval.ms</summary>
    public long RetentionCheckIntervalMs { get; init; } = 300_000;

    /// <summary>How often the flusher checks flush.ms (Kafka's log.flush.scheduler.interval.ms).</summary>
    public long FlushCheckIntervalMs { get; init; } = 1000;

    /// <summary>log.flush.offset.checkpoint.interval.ms (also used for the log start offset checkpoint).</summary>
    public long CheckpointIntervalMs { get; init; } = 60_000;

    /// <summary>replica.high.watermark.checkpoint.interval.ms</summary>
    public long HighWatermarkCheckpointIntervalMs { get; init; } = 5000;

    /// <summary>log.cleaner.backoff.ms: pause between cleaner passes.</summary>
    public long CleanerBackoffMs { get; init; } = 15_000;

    /// <summary>log.cleaner.dedupe.buffer.size: max keys per cleaning pass (the offset map).</summary>
    public int CleanerMaxKeys { get; init; } = 1_000_000;

    /// <summary>producer.id.expiration.ms</summary>
    public long ProducerIdExpirationMs { get; init; } = 86_400_000;

    /// <summary>WARN-level messages about damage the logs work around (see <see cref="PartitionLogOptions.Warn"/>).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>False in tests that drive the jobs by hand (RunRetention, RunFlusher, WriteCheckpoints, RunCleaner).</summary>
    public bool StartBackgroundJobs { get; init; } = true;

    /// <summary>Topic overrides for logs found on disk at startup (the server knows them); default config otherwise.</summary>
    public Func<string, LogConfig?>? TopicConfig { get; init; }
}
