namespace KafkaOperator.Protocol.Records;

/// <summary>
/// Walks the records section of one batch (after decompression) without allocating. It reads exactly the declared
/// number of records and reports bytes left over or records missing as errors. It does not insist that offset
/// deltas are 0, 1, 2...: compacted batches keep their gaps (the produce-side validator checks that).
/// Use <see cref="TryMoveNext"/> on hot paths; <see cref="MoveNext"/> (and foreach) throw
/// <see cref="InvalidDataException"/> with the same message instead.
/// </summary>
public ref struct RecordIterator
{
    private readonly int _count;
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly long? _logAppendTime;
    private ReadOnlySpan<byte> _rest;

    public RecordIterator(ReadOnlySpan<byte> records, int recordCount, long baseOffset = 0, long baseTimestamp = 0)
        : this(records, recordCount, baseOffset, baseTimestamp, null)
    {
    }

    private RecordIterator(ReadOnlySpan<byte> records, int recordCount, long baseOffset, long baseTimestamp, long? logAppendTime)
    {
        _rest = records;
        _count = recordCount;
        _baseOffset = baseOffset;
        _baseTimestamp = baseTimestamp;
        _logAppendTime = logAppendTime;
        Current = default;
    }

    /// <summary>Records read so far.</summary>
    public int Index { get; private set; }

    public Record Current { get; private set; }

    /// <summary>An iterator over a batch's uncompressed records, with the header's offsets and timestamps.</summary>
    public static RecordIterator ForBatch(RecordBatchHeader header, ReadOnlySpan<byte> records) =>
        new(
            records,
            header.RecordCount,
            header.BaseOffset,
            header.BaseTimestamp,
            header.TimestampType == TimestampType.LogAppendTime ? header.MaxTimestamp : null);

    public readonly RecordIterator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (TryMoveNext(out var error))
        {
            return true;
        }

        return error is null ? false : throw new InvalidDataException(error);
    }

    /// <summary>True with <see cref="Current"/> set; false with a null error at the end; false with an error.</summary>
    public bool TryMoveNext(out string? error)
    {
        if (Index >= _count)
        {
            error = _rest.IsEmpty ? null : $"{_rest.Length} bytes follow the last of {_count} records";
            return false;
        }

        if (_rest.IsEmpty)
        {
            error = $"the batch declares {_count} records but holds {Index}";
            return false;
        }

        error = RecordParser.TryRead(_rest, _baseOffset, _baseTimestamp, _logAppendTime, out var record, out var consumed);
        if (error is not null)
        {
            error = $"record {Index}: {error}";
            return false;
        }

        _rest = _rest[consumed..];
        Current = record;
        Index++;
        return true;
    }
}
