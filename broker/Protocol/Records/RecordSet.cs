using System.Buffers;

namespace KafkaOperator.Protocol.Records;

/// <summary>
/// The bytes of a `records` field: one or more RecordBatch v2 batches exactly as they are on the wire and on disk.
/// A request's records are a slice of the request buffer; a fetch response's records may be a slice of a segment
/// file, written straight into the output without being decoded or re-encoded.
/// </summary>
public abstract class RecordSet
{
    public abstract int SizeInBytes { get; }

    public abstract void WriteTo(IBufferWriter<byte> output);
}

public sealed class MemoryRecordSet(ReadOnlyMemory<byte> bytes) : RecordSet
{
    public static readonly MemoryRecordSet Empty = new(ReadOnlyMemory<byte>.Empty);

    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    public override int SizeInBytes => Bytes.Length;

    public override void WriteTo(IBufferWriter<byte> output) => output.Write(Bytes.Span);
}
