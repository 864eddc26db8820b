namespace KafkaOperator.Protocol.Records;

/// <summary>
/// One record of a batch, as spans over the (decompressed) records section: nothing is copied. Offset and
/// Timestamp are absolute (the batch's base plus the record's delta; for a LogAppendTime batch every record's
/// timestamp is the batch's max timestamp, as Kafka reports it).
/// </summary>
public readonly ref struct Record
{
    internal Record(
        int sizeInBytes,
        sbyte attributes,
        long timestampDelta,
        int offsetDelta,
        long offset,
        long timestamp,
        ReadOnlySpan<byte> key,
        bool keyIsNull,
        ReadOnlySpan<byte> value,
        bool valueIsNull,
        int headerCount,
        ReadOnlySpan<byte> headers)
    {
        SizeInBytes = sizeInBytes;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        Headers = new RecordHeaders(headers, headerCount);
    }

    /// <summary>The whole record on the wire, its length varint included.</summary>
    public int SizeInBytes { get; }

    public sbyte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    public long Offset { get; }

    public long Timestamp { get; }

    /// <summary>The key bytes; empty both for an empty key and for a null key (see <see cref="KeyIsNull"/>).</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool KeyIsNull { get; }

    /// <summary>The value bytes; empty both for an empty value and a null value (a tombstone, <see cref="ValueIsNull"/>).</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool ValueIsNull { get; }

    public int HeaderCount { get; }

    /// <summary>The headers in order; foreach over it yields <see cref="RecordHeader"/> views.</summary>
    public RecordHeaders Headers { get; }
}

/// <summary>A record header: a UTF-8 key (never null) and a value that may be null.</summary>
public readonly ref struct RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
{
    public ReadOnlySpan<byte> Key { get; } = key;

    public ReadOnlySpan<byte> Value { get; } = value;

    public bool ValueIsNull { get; } = valueIsNull;
}

/// <summary>The headers of one record, already checked for well-formedness when the record was read.</summary>
public readonly ref struct RecordHeaders
{
    private readonly ReadOnlySpan<byte> _bytes;

    internal RecordHeaders(ReadOnlySpan<byte> bytes, int count)
    {
        _bytes = bytes;
        Count = count;
    }

    public int Count { get; }

    public Enumerator GetEnumerator() => new(_bytes, Count);

    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private int _left;

        internal Enumerator(ReadOnlySpan<byte> bytes, int count)
        {
            _rest = bytes;
            _left = count;
            Current = default;
        }

        public RecordHeader Current { get; private set; }

        public bool MoveNext()
        {
            if (_left <= 0 || !RecordParser.TryReadHeader(_rest, out var header, out var consumed))
            {
                return false;
            }

            _rest = _rest[consumed..];
            _left--;
            Current = header;
            return true;
        }
    }
}
