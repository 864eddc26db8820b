using System.Buffers;
using System.IO.Compression;

namespace KafkaOperator.Protocol.Records;

/// <summary>gzip as java.util.zip.GZIPOutputStream writes it; concatenated members decode as one stream.</summary>
internal static class GzipCodec
{
    private const int ChunkSize = 16 * 1024;

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        var counting = new BufferWriterStream(destination);
        using (var gzip = new GZipStream(counting, new ZLibCompressionOptions { CompressionLevel = level == Compression.DefaultLevel ? 6 : level }, leaveOpen: true))
        {
            gzip.Write(source);
        }

        return (int)counting.Written;
    }

    public static DecompressionStatus Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int max, out int written, out string? error)
    {
        written = 0;
        error = null;

        // GZipStream reads from a Stream, so the compressed bytes are copied once into a pooled array.
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(source.Length, 1));
        try
        {
            source.CopyTo(copy);
            using var input = new MemoryStream(copy, 0, source.Length, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                var span = destination.GetSpan(ChunkSize);
                var room = (int)Math.Min(span.Length, (long)max - written + 1);
                var n = gzip.Read(span[..room]);
                if (n == 0)
                {
                    return DecompressionStatus.Done;
                }

                destination.Advance(n);
                written += n;
                if (written > max)
                {
                    error = Compression.TooLarge(max);
                    return DecompressionStatus.OutputTooLarge;
                }
            }
        }
        catch (InvalidDataException e)
        {
            error = $"corrupt gzip data: {e.Message}";
            return DecompressionStatus.CorruptInput;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>A write-only Stream that appends to an IBufferWriter.</summary>
    private sealed class BufferWriterStream(IBufferWriter<byte> output) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            output.Write(buffer);
            Written += buffer.Length;
        }
    }
}
