using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage;

/// <summary>Process-wide knobs a PartitionLog shares with its LogManager.</summary>
public sealed class PartitionLogOptions
{
    public static PartitionLogOptions Default { get; } = new();

    /// <summary>Wall clock in ms (retention, flush.ms, file.delete.delay.ms). Appends take the time as an argument.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public FileHandleCache Handles { get; init; } = new();

    /// <summary>Kick kernel writeback (sync_file_range WRITE) after this many bytes appended to a segment; 0 = never.</summary>
    public long WritebackBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>producer.id.expiration.ms</summary>
    public long ProducerIdExpirationMs { get; init; } = 86_400_000;

    /// <summary>
    /// Called (outside the partition lock) when flush.messages is reached; a LogManager queues the log for its
    /// flusher (group commit). When null the appending thread flushes itself.
    /// </summary>
    public Action<PartitionLog>? FlushRequested { get; init; }

    /// <summary>
    /// WARN-level messages about damage storage works around without failing (a corrupt producer state snapshot,
    /// say); null drops them.
    /// </summary>
    public Action<string>? Warn { get; init; }

    internal long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
