using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage;

/// <summary>
/// Outcome of an append. Error is None on success; FirstOffset/LastOffset are the offsets assigned (or, for a
/// duplicate idempotent batch, the offsets it got the first time). LogAppendTime is -1 unless the topic uses
/// LogAppendTime.
/// </summary>
public readonly record struct AppendResult(ErrorCode Error, long FirstOffset, long LastOffset, long LogAppendTime, long LogStartOffset, bool Duplicate = false)
{
    public static AppendResult Failed(ErrorCode error, long logStartOffset) => new(error, -1, -1, -1, logStartOffset);
}

/// <summary>
/// Outcome of a read. Error is None or OffsetOutOfRange. Records start at the batch holding the requested offset
/// (FirstBatchBaseOffset, -1 when empty) and may end inside a batch, as Kafka's do.
/// </summary>
public readonly record struct LogReadResult(ErrorCode Error, RecordSet Records, long FirstBatchBaseOffset, long HighWatermark, long LogStartOffset, long LogEndOffset)
{
    public int SizeInBytes => Records.SizeInBytes;
}
