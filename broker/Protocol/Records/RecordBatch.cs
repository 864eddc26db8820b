namespace KafkaOperator.Protocol.Records;

/// <summary>One whole RecordBatch v2 as a view over its bytes.</summary>
public readonly ref struct RecordBatch
{
    /// <summary>Default bound on a batch's decompressed records section when reading.</summary>
    public const int DefaultMaxUncompressedBytes = 64 * 1024 * 1024;

    /// <summary>Wraps a batch; the span must hold at least the 61-byte header (checked by the caller).</summary>
    public RecordBatch(ReadOnlySpan<byte> bytes)
    {
        Bytes = bytes;
        Header = RecordBatchHeader.Read(bytes);
    }

    public RecordBatchHeader Header { get; }

    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The records as stored: compressed when <see cref="RecordBatchHeader.Compression"/> says so.</summary>
    public ReadOnlySpan<byte> RecordsSection => Bytes[RecordBatchHeader.Size..];

    public bool CrcMatches => RecordBatchHeader.CrcMatches(Bytes);

    /// <summary>Iterates an uncompressed batch in place; throws <see cref="InvalidOperationException"/> for a compressed one.</summary>
    public RecordIterator GetRecords() =>
        Header.Compression == CompressionType.None
            ? RecordIterator.ForBatch(Header, RecordsSection)
            : throw new InvalidOperationException($"the batch is {Header.Compression}-compressed: pass a scratch buffer");

    /// <summary>
    /// Iterates the records, decompressing into <paramref name="scratch"/> (cleared first) when needed; the
    /// iterator reads from scratch, so leave it alone until done. Throws <see cref="InvalidDataException"/> for
    /// corrupt or oversized compressed data and <see cref="NotSupportedException"/> for an unknown codec.
    /// </summary>
    public RecordIterator GetRecords(PooledBufferWriter scratch, int maxUncompressedBytes = DefaultMaxUncompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (Header.Compression == CompressionType.None)
        {
            return RecordIterator.ForBatch(Header, RecordsSection);
        }

        scratch.Clear();
        Compression.Decompress(Header.Compression, RecordsSection, scratch, maxUncompressedBytes);
        return RecordIterator.ForBatch(Header, scratch.WrittenSpan);
    }
}

/// <summary>
/// Walks the batches of a records field (a fetch response, a produce request, a log segment slice). A partial
/// batch at the end is not an error here, because fetch responses are cut at a byte limit: it ends the walk and
/// shows in <see cref="RemainingBytes"/>. A batch whose length or magic is impossible is an error.
/// </summary>
public ref struct RecordBatchEnumerator
{
    private readonly ReadOnlySpan<byte> _records;

    public RecordBatchEnumerator(ReadOnlySpan<byte> records)
    {
        _records = records;
        Current = default;
    }

    /// <summary>Where the next batch starts: after the walk, the bytes of whole batches.</summary>
    public int Position { get; private set; }

    public readonly int RemainingBytes => _records.Length - Position;

    public RecordBatch Current { get; private set; }

    public readonly RecordBatchEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (TryMoveNext(out var error))
        {
            return true;
        }

        return error is null ? false : throw new InvalidDataException(error);
    }

    /// <summary>True with <see cref="Current"/> set; false with a null error at the end (or a partial tail); false with an error.</summary>
    public bool TryMoveNext(out string? error)
    {
        error = null;
        var rest = _records[Position..];
        if (rest.Length < RecordBatchHeader.Size)
        {
            return false;
        }

        var header = RecordBatchHeader.Read(rest);
        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            error = $"batch at byte {Position} has magic {header.Magic}; only RecordBatch v2 (magic 2) is supported";
            return false;
        }

        if (header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead)
        {
            error = $"batch at byte {Position} declares length {header.BatchLength}, less than a batch header";
            return false;
        }

        // In long: a batch length near int.MaxValue would overflow TotalSize.
        if ((long)header.BatchLength + RecordBatchHeader.LogOverhead > rest.Length)
        {
            return false;
        }

        Current = new RecordBatch(rest[..header.TotalSize]);
        Position += header.TotalSize;
        return true;
    }
}
