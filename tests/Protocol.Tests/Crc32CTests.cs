using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests;

public class Crc32CTests
{
    [Fact]
    public void MatchesTheStandardCheckValue()
    {
        // The check value of CRC-32C over "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void AppendEqualsComputeOverTheConcatenation()
    {
        var data = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        for (var split = 0; split <= data.Length; split++)
        {
            Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
