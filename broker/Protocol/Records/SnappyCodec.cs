using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace KafkaOperator.Protocol.Records;

/// <summary>
/// Snappy through Snappier (managed; measured faster than Debian's libsnappy here, README "Benchmarks"). Kafka's Java producer (snappy-java) and librdkafka write the xerial framing:
/// a 16-byte header (magic 0x82 "SNAPPY" 0, int32 version, int32 compatible version) then blocks of
/// [int32 big-endian length][raw snappy]. Output uses that framing; input may be framed or one raw snappy block.
/// </summary>
internal static class SnappyCodec
{
    private const int HeaderSize = 16;
    private const int BlockSize = 32 * 1024;

    private static readonly byte[] Magic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];
    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var header = destination.GetSpan(HeaderSize);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        destination.Advance(HeaderSize);
        var written = HeaderSize;

        while (!source.IsEmpty)
        {
            var block = source[..Math.Min(BlockSize, source.Length)];
            source = source[block.Length..];
            var span = destination.GetSpan(4 + Snappy.GetMaxCompressedLength(block.Length));
            var length = Snappy.Compress(block, span[4..]);
            BinaryPrimitives.WriteInt32BigEndian(span, length);
            destination.Advance(4 + length);
            written += 4 + length;
        }

        return written;
    }

    public static DecompressionStatus Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int max, out int written, out string? error)
    {
        written = 0;
        if (!source.StartsWith(Magic))
        {
            return DecompressBlock(source, destination, max, ref written, out error);
        }

        if (source.Length < HeaderSize)
        {
            error = "corrupt snappy data: truncated xerial header";
            return DecompressionStatus.CorruptInput;
        }

        source = source[HeaderSize..];
        while (!source.IsEmpty)
        {
            if (source.Length < 4)
            {
                error = "corrupt snappy data: truncated xerial block length";
                return DecompressionStatus.CorruptInput;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(source);
            if (length < 0 || length > source.Length - 4)
            {
                error = $"corrupt snappy data: xerial block of {length} bytes with {source.Length - 4} left";
                return DecompressionStatus.CorruptInput;
            }

            var status = DecompressBlock(source.Slice(4, length), destination, max, ref written, out error);
            if (status != DecompressionStatus.Done)
            {
                return status;
            }

            source = source[(4 + length)..];
        }

        error = null;
        return DecompressionStatus.Done;
    }

    private static DecompressionStatus DecompressBlock(ReadOnlySpan<byte> block, IBufferWriter<byte> destination, int max, ref int written, out string? error)
    {
        error = null;
        int declared;
        try
        {
            declared = Snappy.GetUncompressedLength(block);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            error = "corrupt snappy data: bad uncompressed length";
            return DecompressionStatus.CorruptInput;
        }

        if (declared > max - written)
        {
            error = Compression.TooLarge(max);
            return DecompressionStatus.OutputTooLarge;
        }

        if (declared == 0)
        {
            // A valid empty block is just its length varint; anything after it is garbage snappy would reject.
            if (block.Length != 1)
            {
                error = "corrupt snappy data: bytes after an empty block";
                return DecompressionStatus.CorruptInput;
            }

            return DecompressionStatus.Done;
        }

        var span = destination.GetSpan(declared);
        int length;
        try
        {
            length = Snappy.Decompress(block, span);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            error = "corrupt snappy data: block does not decompress";
            return DecompressionStatus.CorruptInput;
        }

        if (length != declared)
        {
            error = "corrupt snappy data: block does not decompress";
            return DecompressionStatus.CorruptInput;
        }

        destination.Advance(length);
        written += length;
        return DecompressionStatus.Done;
    }
}
