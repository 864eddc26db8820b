using System.Buffers;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Records;

public class CompressionTests
{
    private const int Limit = 1 << 24;

    public static TheoryData<CompressionType> Codecs => new() { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd };

    [Fact]
    public void EveryCodecIsAvailableHere()
    {
        foreach (var codec in Enum.GetValues<CompressionType>())
        {
            Assert.True(Compression.IsSupported(codec), $"{codec} should load");
        }

        Assert.False(Compression.IsSupported((CompressionType)5));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void RoundTripsEmptySmallRandomAndLargeInputs(CompressionType codec)
    {
        var random = new Random(42);
        var noise = new byte[100_000];
        random.NextBytes(noise);
        byte[][] inputs = [[], [7], "hello"u8.ToArray(), noise, CompressionVectors.Payload, new byte[300_000]];
        foreach (var input in inputs)
        {
            var compressed = new ArrayBufferWriter<byte>();
            var size = Compression.Compress(codec, input, compressed);
            Assert.Equal(compressed.WrittenCount, size);
            Assert.Equal(input, Decompress(codec, compressed.WrittenSpan));
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void DecompressesIntoAPooledWriterThatAlreadyHoldsData(CompressionType codec)
    {
        var compressed = new ArrayBufferWriter<byte>();
        Compression.Compress(codec, CompressionVectors.Payload, compressed);
        using var output = new PooledBufferWriter(16);
        output.Write("prefix"u8);
        var written = Compression.Decompress(codec, compressed.WrittenSpan, output, Limit);
        Assert.Equal(CompressionVectors.Payload.Length, written);
        Assert.Equal("prefix"u8.ToArray(), output.WrittenSpan[..6].ToArray());
        Assert.True(output.WrittenSpan[6..].SequenceEqual(CompressionVectors.Payload));
    }

    [Fact]
    public void SnappyOutputUsesTheXerialFraming()
    {
        var compressed = new ArrayBufferWriter<byte>();
        Compression.Compress(CompressionType.Snappy, CompressionVectors.Payload, compressed);
        byte[] header = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1];
        Assert.Equal(header, compressed.WrittenSpan[..16].ToArray());
    }

    [Fact]
    public void Lz4OutputIsAFrameWithIndependentBlocks()
    {
        var compressed = new ArrayBufferWriter<byte>();
        Compression.Compress(CompressionType.Lz4, CompressionVectors.Payload, compressed);
        Assert.Equal(new byte[] { 0x04, 0x22, 0x4D, 0x18 }, compressed.WrittenSpan[..4].ToArray());
        var flags = compressed.WrittenSpan[4];
        Assert.Equal(0x40, flags & 0xC0); // version 01
        Assert.Equal(0x20, flags & 0x20); // block independence, which Kafka's Java reader requires
    }

    [Fact]
    public void DecodesTheOtherImplementationsVariants()
    {
        var half = CompressionVectors.Payload.AsSpan(0, 40_000).ToArray();
        Assert.Equal(half, Decompress(CompressionType.Snappy, CompressionVectors.XerialSnappy));
        Assert.Equal(half, Decompress(CompressionType.Snappy, CompressionVectors.RawSnappy));
        Assert.Equal(CompressionVectors.Payload, Decompress(CompressionType.Lz4, CompressionVectors.KafkaPythonLz4));
        Assert.Equal(CompressionVectors.Payload, Decompress(CompressionType.Lz4, CompressionVectors.LinkedLz4));
        Assert.Equal(CompressionVectors.Payload, Decompress(CompressionType.Gzip, CompressionVectors.MultiMemberGzip));
        Assert.Equal(CompressionVectors.Payload, Decompress(CompressionType.Zstd, CompressionVectors.StreamedZstd));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void StopsAtTheOutputLimit(CompressionType codec)
    {
        var compressed = new ArrayBufferWriter<byte>();
        Compression.Compress(codec, new byte[1_000_000], compressed);
        var output = new ArrayBufferWriter<byte>();
        var status = Compression.TryDecompress(codec, compressed.WrittenSpan, output, 999_999, out _, out var error);
        Assert.Equal(DecompressionStatus.OutputTooLarge, status);
        Assert.Contains("999999", error, StringComparison.Ordinal);
        Assert.True(output.WrittenCount <= 1_000_000);

        output.Clear();
        Assert.Equal(DecompressionStatus.Done, Compression.TryDecompress(codec, compressed.WrittenSpan, output, 1_000_000, out var written, out error));
        Assert.Equal(1_000_000, written);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void RejectsGarbageAndTruncationWithAStatus(CompressionType codec)
    {
        var compressed = new ArrayBufferWriter<byte>();
        Compression.Compress(codec, CompressionVectors.Payload, compressed);
        var bytes = compressed.WrittenSpan.ToArray();
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(DecompressionStatus.CorruptInput, Compression.TryDecompress(codec, "definitely not compressed"u8, output, Limit, out _, out var error));
        Assert.NotNull(error);

        // Cutting the stream short must never pass as the whole payload. GZipStream ends quietly when a member's
        // tail is missing, so for gzip only cuts well inside the deflate data are detectable here; the batch CRC
        // and the record count are what catch truncated gzip batches.
        var lastCut = codec == CompressionType.Gzip ? bytes.Length / 2 : bytes.Length - 1;
        foreach (var cut in new[] { 1, bytes.Length / 3, bytes.Length / 2, lastCut })
        {
            output.Clear();
            var status = Compression.TryDecompress(codec, bytes.AsSpan(0, cut), output, Limit, out var written, out _);
            Assert.False(status == DecompressionStatus.Done && written == CompressionVectors.Payload.Length, $"cut at {cut} decoded fully");
        }
    }

    [Fact]
    public void RandomMutationsNeverThrow()
    {
        var random = new Random(7);
        foreach (var codec in new[] { CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            var compressed = new ArrayBufferWriter<byte>();
            Compression.Compress(codec, CompressionVectors.Payload.AsSpan(0, 5000), compressed);
            var original = compressed.WrittenSpan.ToArray();
            var output = new ArrayBufferWriter<byte>();
            for (var i = 0; i < 300; i++)
            {
                var mutated = (byte[])original.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                output.Clear();
                var status = Compression.TryDecompress(codec, mutated, output, 10_000, out var written, out var error);
                Assert.True(written <= 10_001);
                Assert.Equal(status == DecompressionStatus.Done, error is null);
            }
        }
    }

    [Fact]
    public void UnknownCodecIdsAreReported()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(DecompressionStatus.UnsupportedCodec, Compression.TryDecompress((CompressionType)6, [1, 2], output, 10, out _, out var error));
        Assert.Contains("6", error, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => Compression.Compress((CompressionType)6, [1], output));
    }

    private static byte[] Decompress(CompressionType codec, ReadOnlySpan<byte> compressed)
    {
        var output = new ArrayBufferWriter<byte>();
        Compression.Decompress(codec, compressed, output, Limit);
        return output.WrittenSpan.ToArray();
    }
}
