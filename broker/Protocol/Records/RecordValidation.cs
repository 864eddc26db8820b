namespace KafkaOperator.Protocol.Records;

/// <summary>Produce-side rules beyond the batch framing itself.</summary>
public sealed record RecordValidationOptions
{
    public static RecordValidationOptions Default { get; } = new();

    /// <summary>Bound on one batch's decompressed records section (a decompression bomb guard).</summary>
    public int MaxUncompressedBytes { get; init; } = RecordBatch.DefaultMaxUncompressedBytes;

    /// <summary>Clients may not write control batches; the broker's own transaction markers may.</summary>
    public bool AllowControlBatches { get; init; }

    /// <summary>Produce v3+ carries exactly one batch per partition; Kafka rejects anything else with InvalidRecord.</summary>
    public bool RequireSingleBatch { get; init; }

    /// <summary>
    /// Every record needs a key (a topic with cleanup.policy=compact): a batch with keyless records is InvalidRecord,
    /// and <see cref="RecordValidationResult.KeylessRecords"/> names them, as Kafka's per-record errors do.
    /// </summary>
    public bool RequireKeys { get; init; }
}

/// <summary>What a broker needs to know of one validated batch.</summary>
public readonly record struct RecordBatchInfo
{
    /// <summary>Where the batch starts in the records field.</summary>
    public int Position { get; init; }

    public int SizeInBytes { get; init; }

    public int RecordCount { get; init; }

    public int LastOffsetDelta { get; init; }

    public CompressionType Compression { get; init; }

    public TimestampType TimestampType { get; init; }

    public bool IsTransactional { get; init; }

    public bool IsControl { get; init; }

    public int PartitionLeaderEpoch { get; init; }

    public long BaseTimestamp { get; init; }

    /// <summary>The header's maxTimestamp as the producer wrote it.</summary>
    public long HeaderMaxTimestamp { get; init; }

    /// <summary>The smallest and largest record timestamps (what a broker checks against its timestamp limits).</summary>
    public long MinTimestamp { get; init; }

    public long MaxTimestamp { get; init; }

    /// <summary>The offset delta of the first record carrying <see cref="MaxTimestamp"/>.</summary>
    public int OffsetDeltaOfMaxTimestamp { get; init; }

    public long ProducerId { get; init; }

    public short ProducerEpoch { get; init; }

    public int BaseSequence { get; init; }

    /// <summary>Size of the records section after decompression (equal to its stored size when uncompressed).</summary>
    public int UncompressedRecordsSize { get; init; }

    public bool HasProducerId => ProducerId >= 0;
}

/// <summary>The outcome of validating a records field: an error code and message, or totals over the batches.</summary>
public readonly record struct RecordValidationResult
{
    public ErrorCode ErrorCode { get; init; }

    /// <summary>Why the records were rejected (null when valid); fit for a produce response's error message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Index of the batch that failed, -1 when valid.</summary>
    public int FailedBatchIndex { get; init; }

    public int BatchCount { get; init; }

    public int RecordCount { get; init; }

    /// <summary>
    /// Under <see cref="RecordValidationOptions.RequireKeys"/>: the indices, within the failed batch, of its records
    /// without a key; null otherwise.
    /// </summary>
    public IReadOnlyList<int>? KeylessRecords { get; init; }

    /// <summary>The first batch (the only one in produce v3+); default when there was none.</summary>
    public RecordBatchInfo FirstBatch { get; init; }

    public bool IsValid => ErrorCode == ErrorCode.None;
}
