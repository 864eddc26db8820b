using System.Buffers.Binary;
using System.IO.Hashing;

namespace KafkaOperator.Protocol.Records;

public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}

/// <summary>
/// The fixed 61-byte header of a RecordBatch (magic 2), read from the front of a span. Field positions are the
/// wire format's; the CRC covers everything from <see cref="AttributesOffset"/> to the end of the batch, so the
/// base offset and partition leader epoch can be rewritten in place without recomputing it.
/// </summary>
public readonly struct RecordBatchHeader
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordsCountOffset = 57;
    public const int Size = 61;

    /// <summary>Bytes before batchLength starts counting: baseOffset and batchLength themselves.</summary>
    public const int LogOverhead = 12;

    public const byte CurrentMagic = 2;
    public const int NoPartitionLeaderEpoch = -1;
    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;

    private const short CompressionMask = 0x07;
    private const short TimestampTypeBit = 0x08;
    private const short TransactionalBit = 0x10;
    private const short ControlBit = 0x20;

    public long BaseOffset { get; init; }
    public int BatchLength { get; init; }
    public int PartitionLeaderEpoch { get; init; }
    public byte Magic { get; init; }
    public uint Crc { get; init; }
    public short Attributes { get; init; }
    public int LastOffsetDelta { get; init; }
    public long BaseTimestamp { get; init; }
    public long MaxTimestamp { get; init; }
    public long ProducerId { get; init; }
    public short ProducerEpoch { get; init; }
    public int BaseSequence { get; init; }
    public int RecordCount { get; init; }

    /// <summary>The whole batch on the wire: header and records.</summary>
    public int TotalSize => LogOverhead + BatchLength;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public CompressionType Compression => (CompressionType)(Attributes & CompressionMask);

    public TimestampType TimestampType => (Attributes & TimestampTypeBit) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & TransactionalBit) != 0;

    public bool IsControl => (Attributes & ControlBit) != 0;

    public bool HasProducerId => ProducerId >= 0;

    /// <summary>The sequence number of the batch's last record, wrapping at int.MaxValue as the protocol does.</summary>
    public int LastSequence => BaseSequence < 0 ? NoSequence : (int)((BaseSequence + (long)LastOffsetDelta) % ((long)int.MaxValue + 1));

    /// <summary>Reads a header; the span must hold at least <see cref="Size"/> bytes. Does not validate anything.</summary>
    public static RecordBatchHeader Read(ReadOnlySpan<byte> b) => new()
    {
        BaseOffset = BinaryPrimitives.ReadInt64BigEndian(b),
        BatchLength = BinaryPrimitives.ReadInt32BigEndian(b[BatchLengthOffset..]),
        PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(b[PartitionLeaderEpochOffset..]),
        Magic = b[MagicOffset],
        Crc = BinaryPrimitives.ReadUInt32BigEndian(b[CrcOffset..]),
        Attributes = BinaryPrimitives.ReadInt16BigEndian(b[AttributesOffset..]),
        LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(b[LastOffsetDeltaOffset..]),
        BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(b[BaseTimestampOffset..]),
        MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(b[MaxTimestampOffset..]),
        ProducerId = BinaryPrimitives.ReadInt64BigEndian(b[ProducerIdOffset..]),
        ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(b[ProducerEpochOffset..]),
        BaseSequence = BinaryPrimitives.ReadInt32BigEndian(b[BaseSequenceOffset..]),
        RecordCount = BinaryPrimitives.ReadInt32BigEndian(b[RecordsCountOffset..]),
    };

    /// <summary>True when the stored CRC matches the batch bytes (the span holds the whole batch).</summary>
    public static bool CrcMatches(ReadOnlySpan<byte> batch)
    {
        var stored = BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]);
        return stored == Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, batch[AttributesOffset..]);
    }

    public static void WriteBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    public static void WritePartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], epoch);

    /// <summary>Recomputes and stores the CRC after a change to a covered field (attributes, timestamps).</summary>
    public static void WriteCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, batch[AttributesOffset..]));

    /// <summary>Sets the LogAppendTime timestamp type and max timestamp, as a broker does, then rewrites the CRC.</summary>
    public static void SetLogAppendTime(Span<byte> batch, long timestamp)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], (short)(attributes | TimestampTypeBit));
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], timestamp);
        WriteCrc(batch);
    }
}
