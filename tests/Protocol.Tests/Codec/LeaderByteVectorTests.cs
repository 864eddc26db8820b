using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Protocol.Tests.Codec;

/// <summary>ElectLeaders and DescribeLogDirs bodies derived by hand from their JSON definitions.</summary>
public class LeaderByteVectorTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Body<T>(T message, short version)
        where T : class
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, message, version);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void ElectLeadersV0HasNoElectionTypeAndANullableArray()
    {
        // v0: topic_partitions as a classic nullable array (-1 = every partition), timeout_ms.
        Assert.Equal(Hex("FFFFFFFF 0000EA60"), Body(new ElectLeadersRequest { TopicPartitions = null }, 0));
        // v1: election_type first; one topic "t" with partitions [2].
        var one = new ElectLeadersRequest { ElectionType = 1, TopicPartitions = [new() { Topic = "t", PartitionId = [2] }], TimeoutMs = 5 };
        Assert.Equal(Hex("01 00000001 0001 74 00000001 00000002 00000005"), Body(one, 1));
    }

    [Fact]
    public void ElectLeadersV2IsFlexible()
    {
        // Compact nullable array: 0 = null; compact string and array lengths are length + 1; empty tag buffers.
        Assert.Equal(Hex("00 00 0000EA60 00"), Body(new ElectLeadersRequest { TopicPartitions = null }, 2));
        var one = new ElectLeadersRequest { TopicPartitions = [new() { Topic = "t", PartitionId = [2] }], TimeoutMs = 5 };
        Assert.Equal(Hex("00 02 02 74 02 00000002 00 00000005 00"), Body(one, 2));

        var response = new ElectLeadersResponse
        {
            ErrorCode = 0,
            ReplicaElectionResults = [new() { Topic = "t", PartitionResult = [new() { PartitionId = 2, ErrorCode = 84, ErrorMessage = null }] }],
        };
        // throttle, error_code, [topic, [partition_id, error_code, error_message=null]].
        Assert.Equal(Hex("00000000 0000 02 02 74 02 00000002 0054 00 00 00 00"), Body(response, 2));
    }

    [Fact]
    public void DescribeLogDirsV4ResponseEndsEachDirWithTotalAndUsableBytes()
    {
        var response = new DescribeLogDirsResponse
        {
            Results =
            [
                new()
                {
                    LogDir = "/d",
                    Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 1, PartitionSize = 16, OffsetLag = 0 }] }],
                    TotalBytes = 100,
                    UsableBytes = 40,
                },
            ],
        };
        var v4 = "00000000 0000 02 0000 03 2F64 02 02 74 02 00000001 0000000000000010 0000000000000000 00 00 00 0000000000000064 0000000000000028 00 00";
        Assert.Equal(Hex(v4), Body(response, 4));
        // v1 has neither the top-level error nor the byte counts, and classic encodings.
        var v1 = "00000000 00000001 0000 0002 2F64 00000001 0001 74 00000001 00000001 0000000000000010 0000000000000000 00";
        Assert.Equal(Hex(v1), Body(response, 1));
    }
}
