using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Consumer;

public enum AutoOffsetReset
{
    /// <summary>Throw a KafkaException(OffsetOutOfRange) from the fetch.</summary>
    None,
    Earliest,
    Latest,
}

public sealed class KafkaConsumerOptions
{
    /// <summary>How long the broker may hold a fetch waiting for <see cref="MinBytes"/>.</summary>
    public int MaxWaitMs { get; set; } = 500;

    public int MinBytes { get; set; } = 1;

    public int MaxBytes { get; set; } = 50 * 1024 * 1024;

    public int PartitionMaxBytes { get; set; } = 1024 * 1024;

    public AutoOffsetReset AutoOffsetReset { get; set; } = AutoOffsetReset.None;

    /// <summary>Verify each batch's CRC32C before handing out its records.</summary>
    public bool CheckCrcs { get; set; } = true;
}

/// <summary>A consumed record, copied out of the fetch buffer.</summary>
public sealed record ConsumeResult(string Topic, int Partition, long Offset, long Timestamp, byte[]? Key,
    byte[]? Value, IReadOnlyList<RecordHeaderEntry> Headers);

/// <summary>Receives records without copying them; the record's spans are valid only during the call.</summary>
public delegate void RecordHandler(string topic, int partition, Record record);
