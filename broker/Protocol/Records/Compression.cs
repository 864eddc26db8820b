using System.Buffers;

namespace KafkaOperator.Protocol.Records;

public enum DecompressionStatus
{
    Done = 0,

    /// <summary>The input is not valid data of the codec, or is truncated.</summary>
    CorruptInput,

    /// <summary>The output would exceed the caller's maximum (a decompression bomb, or a limit set too low).</summary>
    OutputTooLarge,

    /// <summary>An unknown codec id, or the codec's native library cannot be loaded.</summary>
    UnsupportedCodec,
}

/// <summary>
/// The codecs of RecordBatch v2, in the wire variants Kafka clients read and write: gzip (one or more members),
/// snappy (xerial snappy-java framing on output; xerial or raw snappy on input), LZ4 frames with independent blocks,
/// and zstd frames (streamed, since producers need not record the content size). Output goes to an
/// <see cref="IBufferWriter{T}"/>; on a failed decompression whatever was already written stays there, so callers
/// reset their writer. Snappy is Snappier (managed); LZ4 and zstd are the system libraries (liblz4.so.1, libzstd.so.1),
/// which decompress faster here than the managed ports.
/// </summary>
public static class Compression
{
    /// <summary>Sentinel for "the codec's default level" (gzip 6, LZ4 fast mode, zstd 3).</summary>
    public const int DefaultLevel = int.MinValue;

    /// <summary>True when the codec is known and its native library loads on this machine.</summary>
    public static bool IsSupported(CompressionType type) => type switch
    {
        CompressionType.None or CompressionType.Gzip => true,
        CompressionType.Snappy => true,
        CompressionType.Lz4 => Lz4Codec.IsAvailable,
        CompressionType.Zstd => ZstdCodec.IsAvailable,
        _ => false,
    };

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> and returns the bytes written.
    /// Throws <see cref="NotSupportedException"/> for an unknown codec or a native library that cannot be loaded.
    /// </summary>
    public static int Compress(CompressionType type, ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level = DefaultLevel)
    {
        ArgumentNullException.ThrowIfNull(destination);
        try
        {
            switch (type)
            {
                case CompressionType.None:
                    destination.Write(source);
                    return source.Length;
                case CompressionType.Gzip:
                    return GzipCodec.Compress(source, destination, level);
                case CompressionType.Snappy:
                    return SnappyCodec.Compress(source, destination);
                case CompressionType.Lz4:
                    return Lz4Codec.Compress(source, destination, level);
                case CompressionType.Zstd:
                    return ZstdCodec.Compress(source, destination, level);
                default:
                    throw new NotSupportedException($"unknown compression type id {(int)type}");
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new NotSupportedException($"{type} compression is unavailable: {e.Message}", e);
        }
    }

    /// <summary>
    /// Decompresses <paramref name="source"/> into <paramref name="destination"/>, writing at most
    /// <paramref name="maxOutputBytes"/>. Never throws for bad input: the status says what went wrong and
    /// <paramref name="error"/> describes it (null on success).
    /// </summary>
    public static DecompressionStatus TryDecompress(
        CompressionType type,
        ReadOnlySpan<byte> source,
        IBufferWriter<byte> destination,
        int maxOutputBytes,
        out int written,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
        written = 0;
        error = null;
        try
        {
            switch (type)
            {
                case CompressionType.None:
                    if (source.Length > maxOutputBytes)
                    {
                        error = TooLarge(maxOutputBytes);
                        return DecompressionStatus.OutputTooLarge;
                    }

                    destination.Write(source);
                    written = source.Length;
                    return DecompressionStatus.Done;
                case CompressionType.Gzip:
                    return GzipCodec.Decompress(source, destination, maxOutputBytes, out written, out error);
                case CompressionType.Snappy:
                    return SnappyCodec.Decompress(source, destination, maxOutputBytes, out written, out error);
                case CompressionType.Lz4:
                    return Lz4Codec.Decompress(source, destination, maxOutputBytes, out written, out error);
                case CompressionType.Zstd:
                    return ZstdCodec.Decompress(source, destination, maxOutputBytes, out written, out error);
                default:
                    error = $"unknown compression type id {(int)type}";
                    return DecompressionStatus.UnsupportedCodec;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            error = $"{type} decompression is unavailable: {e.Message}";
            return DecompressionStatus.UnsupportedCodec;
        }
    }

    /// <summary>
    /// Decompresses like <see cref="TryDecompress"/> and returns the bytes written, throwing
    /// <see cref="InvalidDataException"/> (corrupt or too large) or <see cref="NotSupportedException"/> (codec).
    /// </summary>
    public static int Decompress(CompressionType type, ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxOutputBytes)
    {
        var status = TryDecompress(type, source, destination, maxOutputBytes, out var written, out var error);
        return status switch
        {
            DecompressionStatus.Done => written,
            DecompressionStatus.UnsupportedCodec => throw new NotSupportedException(error),
            _ => throw new InvalidDataException(error),
        };
    }

    internal static string TooLarge(int maxOutputBytes) =>
        $"decompressed data exceeds the limit of {maxOutputBytes} bytes";
}
