using System.Runtime.InteropServices;

namespace KafkaOperator.Bench.Probes;

/// <summary>Debian's libsnappy through its C API: the broker's snappy before Snappier, kept here as the reference.</summary>
internal static class NativeSnappy
{
    private const string Library = "libsnappy.so.1";

    public static byte[] Compress(byte[] input)
    {
        var output = new byte[(int)snappy_max_compressed_length((nuint)input.Length)];
        return output.AsSpan(0, Compress(input, output)).ToArray();
    }

    public static int Compress(byte[] input, byte[] output)
    {
        var length = (nuint)output.Length;
        return snappy_compress(ref input[0], (nuint)input.Length, ref output[0], ref length) == 0
            ? (int)length
            : throw new InvalidDataException("snappy_compress failed");
    }

    public static Span<byte> Decompress(byte[] input, byte[] output)
    {
        var length = (nuint)output.Length;
        return snappy_uncompress(ref input[0], (nuint)input.Length, ref output[0], ref length) == 0
            ? output.AsSpan(0, (int)length)
            : throw new InvalidDataException("snappy_uncompress failed");
    }

    [DllImport(Library)]
    private static extern int snappy_compress(ref byte input, nuint inputLength, ref byte compressed, ref nuint compressedLength);

    [DllImport(Library)]
    private static extern int snappy_uncompress(ref byte compressed, nuint compressedLength, ref byte uncompressed, ref nuint uncompressedLength);

    [DllImport(Library)]
    private static extern nuint snappy_max_compressed_length(nuint sourceLength);
}
