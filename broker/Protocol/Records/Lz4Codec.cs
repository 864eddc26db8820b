using System.Buffers;
using System.Runtime.InteropServices;

namespace KafkaOperator.Protocol.Records;

/// <summary>
/// LZ4 frames through liblz4's LZ4F API. Output uses 64 KB independent blocks without content size, dictionary or
/// checksums: the batch CRC already covers the bytes, and Kafka's Java reader rejects dependent blocks. Input is
/// any frame liblz4 accepts; concatenated frames decode back to back.
/// </summary>
internal static class Lz4Codec
{
    private const string Library = "liblz4.so.1";
    private const uint Version = 100;
    private const int ChunkSize = 64 * 1024;

    private static readonly Lazy<bool> Available = new(() => NativeLibrary.TryLoad(Library, out _));
    private static readonly NativeContextPool Contexts = new(CreateContext, context => LZ4F_freeDecompressionContext(context));
    private static readonly byte[] Empty = new byte[1];

    public static bool IsAvailable => Available.Value;

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        var preferences = new Preferences
        {
            BlockSizeId = 4, // 64 KB, Kafka's default
            BlockMode = 1, // independent blocks
            CompressionLevel = level == Compression.DefaultLevel ? 0 : level,
        };
        var bound = LZ4F_compressFrameBound((nuint)source.Length, ref preferences);
        var span = destination.GetSpan(checked((int)bound));
        ref var input = ref source.IsEmpty ? ref Empty[0] : ref MemoryMarshal.GetReference(source);
        var result = LZ4F_compressFrame(ref MemoryMarshal.GetReference(span), (nuint)span.Length, ref input, (nuint)source.Length, ref preferences);
        if (LZ4F_isError(result) != 0)
        {
            throw new InvalidOperationException($"LZ4F_compressFrame failed: {ErrorName(result)}");
        }

        destination.Advance((int)result);
        return (int)result;
    }

    public static DecompressionStatus Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int max, out int written, out string? error)
    {
        written = 0;
        error = null;
        if (source.IsEmpty)
        {
            error = "corrupt lz4 data: empty input";
            return DecompressionStatus.CorruptInput;
        }

        var context = Contexts.Rent();
        try
        {
            LZ4F_resetDecompressionContext(context);
            var position = 0;
            nuint hint = 1;
            while (position < source.Length || hint != 0)
            {
                var span = destination.GetSpan(ChunkSize);
                var room = (int)Math.Min(span.Length, (long)max - written + 1);
                var produced = (nuint)room;
                var remaining = source[position..];
                var consumed = (nuint)remaining.Length;
                ref var input = ref remaining.IsEmpty ? ref Empty[0] : ref MemoryMarshal.GetReference(remaining);
                hint = LZ4F_decompress(context, ref MemoryMarshal.GetReference(span), ref produced, ref input, ref consumed, IntPtr.Zero);
                if (LZ4F_isError(hint) != 0)
                {
                    error = $"corrupt lz4 data: {ErrorName(hint)}";
                    return DecompressionStatus.CorruptInput;
                }

                destination.Advance((int)produced);
                written += (int)produced;
                position += (int)consumed;
                if (written > max)
                {
                    error = Compression.TooLarge(max);
                    return DecompressionStatus.OutputTooLarge;
                }

                if (hint != 0 && position == source.Length && (int)produced < room)
                {
                    error = "corrupt lz4 data: truncated frame";
                    return DecompressionStatus.CorruptInput;
                }

                if (produced == 0 && consumed == 0)
                {
                    error = "corrupt lz4 data: decoder made no progress";
                    return DecompressionStatus.CorruptInput;
                }
            }

            return DecompressionStatus.Done;
        }
        finally
        {
            Contexts.Return(context);
        }
    }

    private static IntPtr CreateContext()
    {
        var code = LZ4F_createDecompressionContext(out var context, Version);
        if (LZ4F_isError(code) != 0)
        {
            throw new InvalidOperationException($"LZ4F_createDecompressionContext failed: {ErrorName(code)}");
        }

        return context;
    }

    private static string ErrorName(nuint code) => Marshal.PtrToStringAnsi(LZ4F_getErrorName(code)) ?? $"error {code}";

    /// <summary>LZ4F_preferences_t (with its LZ4F_frameInfo_t), laid out as lz4frame.h declares it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Preferences
    {
        public int BlockSizeId;
        public int BlockMode;
        public int ContentChecksumFlag;
        public int FrameType;
        public ulong ContentSize;
        public uint DictId;
        public int BlockChecksumFlag;
        public int CompressionLevel;
        public uint AutoFlush;
        public uint FavorDecSpeed;
        public uint Reserved0;
        public uint Reserved1;
        public uint Reserved2;
    }

    [DllImport(Library)]
    private static extern nuint LZ4F_createDecompressionContext(out IntPtr context, uint version);

    [DllImport(Library)]
    private static extern nuint LZ4F_freeDecompressionContext(IntPtr context);

    [DllImport(Library)]
    private static extern void LZ4F_resetDecompressionContext(IntPtr context);

    [DllImport(Library)]
    private static extern nuint LZ4F_decompress(IntPtr context, ref byte destination, ref nuint destinationSize, ref byte source, ref nuint sourceSize, IntPtr options);

    [DllImport(Library)]
    private static extern nuint LZ4F_compressFrameBound(nuint sourceSize, ref Preferences preferences);

    [DllImport(Library)]
    private static extern nuint LZ4F_compressFrame(ref byte destination, nuint capacity, ref byte source, nuint sourceSize, ref Preferences preferences);

    [DllImport(Library)]
    private static extern uint LZ4F_isError(nuint code);

    [DllImport(Library)]
    private static extern IntPtr LZ4F_getErrorName(nuint code);
}
