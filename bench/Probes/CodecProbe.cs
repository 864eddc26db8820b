using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// The codec switches of issue #13 decided by measurement: CRC-32C from System.IO.Hashing against the SSE4.2 loop the
/// broker used before (kept here as <see cref="Sse42Crc32C"/>), and Snappier against Debian's libsnappy
/// (<see cref="NativeSnappy"/>) on record-batch-like payloads, compress and decompress (the produce path validates by
/// decompressing). Each figure is the best of several timed rounds, in MB/s of input.
/// </summary>
public static class CodecProbe
{
    private static readonly int[] CrcSizes = [1 << 10, 16 << 10, 64 << 10, 1 << 20];
    private static readonly int[] SnappySizes = [16 << 10, 64 << 10, 1 << 20];

    public static string Run(double secondsPerCase)
    {
        var sb = new StringBuilder("{");
        foreach (var size in CrcSizes)
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            if (Sse42Crc32C.Compute(data) != Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data))
            {
                throw new InvalidDataException("the two CRC-32C implementations disagree");
            }

            uint sink = 0;
            var (hand, lib) = MeasurePair(size, secondsPerCase,
                () => sink ^= Sse42Crc32C.Compute(data), () => sink ^= Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data));
            GC.KeepAlive(sink);
            Append(sb, $"crc32c_{Label(size)}_sse42_mbs", hand);
            Append(sb, $"crc32c_{Label(size)}_system_io_hashing_mbs", lib);
        }

        foreach (var size in SnappySizes)
        {
            var data = RecordLikePayload(size);
            var compressed = new byte[Snappier.Snappy.GetMaxCompressedLength(size)];
            var output = new byte[size];
            var nativeBlock = NativeSnappy.Compress(data);
            var managedLength = Snappier.Snappy.Compress(data, compressed);
            var managedBlock = compressed.AsSpan(0, managedLength).ToArray();
            if (!NativeSnappy.Decompress(managedBlock, output).SequenceEqual(data)
                || Snappier.Snappy.Decompress(nativeBlock, output) != size || !output.AsSpan().SequenceEqual(data))
            {
                throw new InvalidDataException("libsnappy and Snappier do not read each other's blocks");
            }

            var (nativeCompress, managedCompress) = MeasurePair(size, secondsPerCase,
                () => NativeSnappy.Compress(data, compressed), () => Snappier.Snappy.Compress(data, compressed));
            var (nativeDecompress, managedDecompress) = MeasurePair(size, secondsPerCase,
                () => NativeSnappy.Decompress(nativeBlock, output), () => Snappier.Snappy.Decompress(nativeBlock, output));
            Append(sb, $"snappy_{Label(size)}_ratio", (double)nativeBlock.Length / size);
            Append(sb, $"snappy_{Label(size)}_compress_libsnappy_mbs", nativeCompress);
            Append(sb, $"snappy_{Label(size)}_compress_snappier_mbs", managedCompress);
            Append(sb, $"snappy_{Label(size)}_decompress_libsnappy_mbs", nativeDecompress);
            Append(sb, $"snappy_{Label(size)}_decompress_snappier_mbs", managedDecompress);
        }

        sb.Length--;
        return sb.Append('}').ToString();
    }

    private static string Label(int size) => size >= 1 << 20 ? $"{size >> 20}mib" : $"{size >> 10}kib";

    private static void Append(StringBuilder sb, string name, double value) =>
        sb.Append('"').Append(name).Append("\": ").Append(value.ToString("0.###", CultureInfo.InvariantCulture)).Append(',');

    /// <summary>
    /// Alternating rounds of <paramref name="a"/> and <paramref name="b"/> (ten each, <paramref name="seconds"/> in
    /// all per side), the best round of each in MB/s of input: alternating keeps a busy machine's noise from favouring
    /// whichever ran in a quieter moment.
    /// </summary>
    private static (double A, double B) MeasurePair(int bytesPerCall, double seconds, Action a, Action b)
    {
        for (var i = 0; i < 1000; i++)
        {
            a();
            b();
        }

        var roundTicks = (long)(seconds / 10 * Stopwatch.Frequency);
        double bestA = 0, bestB = 0;
        for (var round = 0; round < 10; round++)
        {
            bestA = Math.Max(bestA, Round(bytesPerCall, roundTicks, a));
            bestB = Math.Max(bestB, Round(bytesPerCall, roundTicks, b));
        }

        return (bestA, bestB);
    }

    private static double Round(int bytesPerCall, long roundTicks, Action call)
    {
        long calls = 0;
        var start = Stopwatch.GetTimestamp();
        long elapsed;
        do
        {
            for (var i = 0; i < 16; i++)
            {
                call();
            }

            calls += 16;
            elapsed = Stopwatch.GetTimestamp() - start;
        }
        while (elapsed < roundTicks);
        return calls * (double)bytesPerCall / 1e6 / (elapsed / (double)Stopwatch.Frequency);
    }

    /// <summary>JSON-ish records with repeating field names and varying values, compressing about as real events do.</summary>
    private static byte[] RecordLikePayload(int size)
    {
        var random = new Random(42);
        var sb = new StringBuilder();
        var i = 0;
        while (sb.Length < size)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i++},\"user\":\"user-{random.Next(10_000)}\",\"amount\":{random.NextDouble() * 1000:0.00},")
              .Append(CultureInfo.InvariantCulture, $"\"ts\":{1_700_000_000_000L + random.Next()},\"tags\":[\"t{random.Next(50)}\",\"t{random.Next(50)}\"]}}\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString())[..size];
    }
}
