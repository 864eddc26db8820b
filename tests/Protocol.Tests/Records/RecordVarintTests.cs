using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Records;

public class RecordVarintTests
{
    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(63, "7E")]
    [InlineData(-64, "7F")]
    [InlineData(64, "8001")]
    [InlineData(300, "D804")]
    [InlineData(int.MaxValue, "FEFFFFFF0F")]
    [InlineData(int.MinValue, "FFFFFFFF0F")]
    public void VarintsMatchTheZigZagEncoding(int value, string hex)
    {
        Span<byte> buffer = stackalloc byte[5];
        var n = RecordVarint.WriteVarint(buffer, value);
        Assert.Equal(hex, Convert.ToHexString(buffer[..n]));
        Assert.Equal(n, RecordVarint.SizeOfVarint(value));
        Assert.True(RecordVarint.TryReadVarint(Convert.FromHexString(hex + "AA"), out var read, out var consumed));
        Assert.Equal(value, read);
        Assert.Equal(n, consumed);
    }

    [Fact]
    public void VarlongsRoundTripAcrossTheRange()
    {
        var random = new Random(3);
        Span<byte> buffer = stackalloc byte[10];
        long[] edges = [0, -1, 1, long.MaxValue, long.MinValue, 1_700_000_000_000, -1_700_000_000_000];
        foreach (var value in edges.Concat(Enumerable.Range(0, 1000).Select(_ => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64))))
        {
            var n = RecordVarint.WriteVarlong(buffer, value);
            Assert.Equal(n, RecordVarint.SizeOfVarlong(value));
            Assert.True(RecordVarint.TryReadVarlong(buffer[..n], out var read, out var consumed));
            Assert.Equal(value, read);
            Assert.Equal(n, consumed);
        }
    }

    [Fact]
    public void TruncatedAndOverlongVarintsAreRejected()
    {
        Assert.False(RecordVarint.TryReadVarint([], out _, out _));
        Assert.False(RecordVarint.TryReadVarint([0x80, 0x80], out _, out _));
        Assert.False(RecordVarint.TryReadVarint([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], out _, out _));
        Assert.False(RecordVarint.TryReadVarlong([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], out _, out _));
    }
}
