using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Protocol.Tests.Codec;

/// <summary>
/// Bodies encoded by an independent implementation (kafka-python 2.0.2's protocol classes, generated once and pasted
/// here): each must decode completely and re-encode to the identical bytes.
/// </summary>
public class InteropVectorTests
{
    private static object Decode(string name, short version, string hex, out byte[] bytes)
    {
        var type = typeof(ApiKey).Assembly.GetType($"KafkaOperator.Protocol.Messages.{name}")!;
        bytes = Convert.FromHexString(hex);
        var reader = new KafkaReader(bytes);
        var message = MessageCodec.Read(type, ref reader, version);
        Assert.True(reader.IsAtEnd, $"{reader.Remaining} bytes left");
        return message;
    }

    [Theory]
    [InlineData("MetadataRequest", 1, "0000000200016100026263")]
    [InlineData("MetadataResponse", 5, "00000007000000020000000100016800002384FFFF0000000200016B000023850002723100036369640000000100000001000000017400000000010000000000030000000100000002000000010000000200000001000000010000000100000002")]
    [InlineData("ProduceRequest", 3, "FFFFFFFF000003E800000001000174000000010000000000000003010203")]
    [InlineData("ProduceResponse", 5, "0000000100017400000001000000000000000000000000002AFFFFFFFFFFFFFFFF000000000000000500000000")]
    [InlineData("FetchRequest", 4, "FFFFFFFF000001F4000000010010000001000000010001740000000100000000000000000000000A00010000")]
    [InlineData("FetchRequest", 11, "FFFFFFFF000001F400000001001000000000000000FFFFFFFF000000010001740000000100000000FFFFFFFF000000000000000AFFFFFFFFFFFFFFFF00010000000000000002726B")]
    [InlineData("FetchResponse", 4, "0000000000000001000174000000010000000000000000000000000064000000000000005A000000010000000000000007000000000000003200000002AABB")]
    [InlineData("FetchResponse", 11, "0000000000000000000300000001000174000000010000000000000000000000000064000000000000005A0000000000000000FFFFFFFFFFFFFFFF00000002AABB")]
    [InlineData("ListOffsetsRequest", 1, "FFFFFFFF000000010001740000000100000000FFFFFFFFFFFFFFFE")]
    [InlineData("OffsetCommitRequest", 2, "0001670000000300016DFFFFFFFFFFFFFFFF000000010001740000000100000000000000000000000C00026D64")]
    [InlineData("OffsetFetchRequest", 1, "00016700000001000174000000020000000000000001")]
    [InlineData("OffsetFetchResponse", 3, "00000000000000010001740000000100000000000000000000000CFFFF00000000")]
    [InlineData("FindCoordinatorRequest", 1, "00016700")]
    [InlineData("JoinGroupRequest", 1, "000167000027100000753000000008636F6E73756D657200000001000572616E6765000000020001")]
    [InlineData("JoinGroupResponse", 2, "00000000000000000001000572616E676500026D3100026D310000000100026D310000000105")]
    [InlineData("SyncGroupRequest", 1, "0001670000000100026D310000000100026D310000000109")]
    [InlineData("HeartbeatRequest", 1, "0001670000000100026D31")]
    [InlineData("LeaveGroupRequest", 1, "00016700026D31")]
    [InlineData("CreateTopicsRequest", 3, "000000010001740000000300010000000000000001000E636C65616E75702E706F6C6963790007636F6D706163740000138800")]
    [InlineData("DeleteTopicsRequest", 3, "0000000200017400017500001388")]
    [InlineData("CreatePartitionsRequest", 1, "0000000100017400000006FFFFFFFF0000138801")]
    [InlineData("DescribeConfigsRequest", 2, "0000000102000174FFFFFFFF01")]
    [InlineData("DescribeConfigsResponse", 2, "00000000000000010000FFFF0200017400000001000C726574656E74696F6E2E6D7300043130303000010000000001000C726574656E74696F6E2E6D7300043130303001")]
    [InlineData("ApiVersionsResponse", 1, "00000000000200000003000900120000000400000000")]
    public void DecodesAndReencodesIdentically(string name, short version, string hex)
    {
        var message = Decode(name, version, hex, out var bytes);
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, message, version);
        Assert.Equal(bytes, output.WrittenSpan.ToArray());
        Assert.Equal(bytes.Length, MessageCodec.ComputeSize(message, version));
    }

    [Fact]
    public void DecodedFieldsMatchWhatKafkaPythonEncoded()
    {
        var metadata = (MetadataResponse)Decode("MetadataResponse", 5, "00000007000000020000000100016800002384FFFF0000000200016B000023850002723100036369640000000100000001000000017400000000010000000000030000000100000002000000010000000200000001000000010000000100000002", out _);
        Assert.Equal(7, metadata.ThrottleTimeMs);
        Assert.Equal("cid", metadata.ClusterId);
        Assert.Null(metadata.Brokers[0].Rack);
        Assert.Equal("r1", metadata.Brokers[1].Rack);
        Assert.Equal([1, 2], metadata.Topics[0].Partitions[0].ReplicaNodes);
        Assert.Equal([2], metadata.Topics[0].Partitions[0].OfflineReplicas);

        var produce = (ProduceRequest)Decode("ProduceRequest", 3, "FFFFFFFF000003E800000001000174000000010000000000000003010203", out _);
        Assert.Null(produce.TransactionalId);
        Assert.Equal(-1, produce.Acks);
        var records = Assert.IsType<Records.MemoryRecordSet>(produce.TopicData[0].PartitionData[0].Records);
        Assert.Equal(new byte[] { 1, 2, 3 }, records.Bytes.ToArray());

        var fetch = (FetchResponse)Decode("FetchResponse", 4, "0000000000000001000174000000010000000000000000000000000064000000000000005A000000010000000000000007000000000000003200000002AABB", out _);
        var partition = fetch.Responses[0].Partitions[0];
        Assert.Equal(100, partition.HighWatermark);
        Assert.Equal(90, partition.LastStableOffset);
        Assert.Equal(7, partition.AbortedTransactions![0].ProducerId);

        var commit = (OffsetCommitRequest)Decode("OffsetCommitRequest", 2, "0001670000000300016DFFFFFFFFFFFFFFFF000000010001740000000100000000000000000000000C00026D64", out _);
        Assert.Equal(3, commit.GenerationIdOrMemberEpoch);
        Assert.Equal(12, commit.Topics[0].Partitions[0].CommittedOffset);
        Assert.Equal("md", commit.Topics[0].Partitions[0].CommittedMetadata);

        var configs = (DescribeConfigsResponse)Decode("DescribeConfigsResponse", 2, "00000000000000010000FFFF0200017400000001000C726574656E74696F6E2E6D7300043130303000010000000001000C726574656E74696F6E2E6D7300043130303001", out _);
        Assert.Equal("retention.ms", configs.Results[0].Configs[0].Name);
        Assert.Equal(1, configs.Results[0].Configs[0].ConfigSource);
        Assert.Equal("1000", configs.Results[0].Configs[0].Synonyms[0].Value);
    }
}
