using System.IO.Hashing;
using System.Text;

namespace KafkaOperator.Protocol.Tests;

/// <summary>Pins the parameter set the codec, the producer-state snapshots and the Raft log use from System.IO.Hashing.</summary>
public class Crc32CTests
{
    [Fact]
    public void MatchesTheStandardCheckValue()
    {
        // The check value of CRC-32C over "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
        Assert.Equal(0xE3069283u, Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void AppendingInPiecesEqualsOneHashOverTheConcatenation()
    {
        var data = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        for (var split = 0; split <= data.Length; split++)
        {
            var crc = new Crc32(Crc32ParameterSet.Crc32C);
            crc.Append(data.AsSpan(0, split));
            crc.Append(data.AsSpan(split));
            Assert.Equal(Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data), crc.GetCurrentHashAsUInt32());
        }
    }
}
