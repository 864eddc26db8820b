using System.Buffers;
using System.Runtime.InteropServices;

namespace KafkaOperator.Protocol.Records;

/// <summary>
/// zstd through libzstd. Decompression streams (ZSTD_decompressStream_simpleArgs) because producers such as
/// zstd-jni's ZstdOutputStream write frames without a content size; concatenated frames decode back to back.
/// </summary>
internal static class ZstdCodec
{
    private const string Library = "libzstd.so.1";
    private const int DefaultLevel = 3;
    private const int ChunkSize = 128 * 1024;
    private const int ResetSessionOnly = 1;

    private static readonly Lazy<bool> Available = new(() => NativeLibrary.TryLoad(Library, out _));
    private static readonly NativeContextPool Contexts = new(CreateContext, context => ZSTD_freeDCtx(context));
    private static readonly byte[] Empty = new byte[1];

    public static bool IsAvailable => Available.Value;

    public static int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        var bound = ZSTD_compressBound((nuint)source.Length);
        var span = destination.GetSpan(checked((int)bound));
        ref var input = ref source.IsEmpty ? ref Empty[0] : ref MemoryMarshal.GetReference(source);
        var result = ZSTD_compress(ref MemoryMarshal.GetReference(span), (nuint)span.Length, ref input, (nuint)source.Length, level == Compression.DefaultLevel ? DefaultLevel : level);
        if (ZSTD_isError(result) != 0)
        {
            throw new InvalidOperationException($"ZSTD_compress failed: {ErrorName(result)}");
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
            error = "corrupt zstd data: empty input";
            return DecompressionStatus.CorruptInput;
        }

        var context = Contexts.Rent();
        try
        {
            ZSTD_DCtx_reset(context, ResetSessionOnly);
            nuint position = 0;
            while (true)
            {
                var span = destination.GetSpan(ChunkSize);
                var room = (int)Math.Min(span.Length, (long)max - written + 1);
                nuint produced = 0;
                var before = position;
                var hint = ZSTD_decompressStream_simpleArgs(
                    context, ref MemoryMarshal.GetReference(span), (nuint)room, ref produced, ref MemoryMarshal.GetReference(source), (nuint)source.Length, ref position);
                if (ZSTD_isError(hint) != 0)
                {
                    error = $"corrupt zstd data: {ErrorName(hint)}";
                    return DecompressionStatus.CorruptInput;
                }

                destination.Advance((int)produced);
                written += (int)produced;
                if (written > max)
                {
                    error = Compression.TooLarge(max);
                    return DecompressionStatus.OutputTooLarge;
                }

                var inputDone = position == (nuint)source.Length;
                if (hint == 0 && inputDone)
                {
                    return DecompressionStatus.Done;
                }

                if (inputDone && (int)produced < room)
                {
                    error = "corrupt zstd data: truncated frame";
                    return DecompressionStatus.CorruptInput;
                }

                if (produced == 0 && position == before)
                {
                    error = "corrupt zstd data: decoder made no progress";
                    return DecompressionStatus.CorruptInput;
                }
            }
        }
        finally
        {
            Contexts.Return(context);
        }
    }

    private static IntPtr CreateContext()
    {
        var context = ZSTD_createDCtx();
        return context != IntPtr.Zero ? context : throw new InvalidOperationException("ZSTD_createDCtx failed");
    }

    private static string ErrorName(nuint code) => Marshal.PtrToStringAnsi(ZSTD_getErrorName(code)) ?? $"error {code}";

    [DllImport(Library)]
    private static extern nuint ZSTD_compress(ref byte destination, nuint capacity, ref byte source, nuint sourceSize, int level);

    [DllImport(Library)]
    private static extern nuint ZSTD_compressBound(nuint sourceSize);

    [DllImport(Library)]
    private static extern uint ZSTD_isError(nuint code);

    [DllImport(Library)]
    private static extern IntPtr ZSTD_getErrorName(nuint code);

    [DllImport(Library)]
    private static extern IntPtr ZSTD_createDCtx();

    [DllImport(Library)]
    private static extern nuint ZSTD_freeDCtx(IntPtr context);

    [DllImport(Library)]
    private static extern nuint ZSTD_DCtx_reset(IntPtr context, int directive);

    [DllImport(Library)]
    private static extern nuint ZSTD_decompressStream_simpleArgs(
        IntPtr context, ref byte destination, nuint capacity, ref nuint destinationPosition, ref byte source, nuint sourceSize, ref nuint sourcePosition);
}
