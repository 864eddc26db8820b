using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Codec;

/// <summary>
/// Request frames (after the size prefix) captured from librdkafka talking to a throwaway broker built on this codec:
/// real flexible-version bytes from an independent client.
/// </summary>
public class LibrdkafkaFrameTests
{
    private static (RequestHeader Header, object Body) Read(string hex) => MessageCodec.ReadRequest(Convert.FromHexString(hex));

    [Fact]
    public void ApiVersionsV3()
    {
        var (header, body) = Read("0012000300000001000772646B61666B61000B6C696272646B61666B6106322E302E3200");
        Assert.Equal(1, header.CorrelationId);
        Assert.Equal("rdkafka", header.ClientId);
        var request = Assert.IsType<ApiVersionsRequest>(body);
        Assert.Equal("librdkafka", request.ClientSoftwareName);
        Assert.Equal("2.0.2", request.ClientSoftwareVersion);
    }

    [Fact]
    public void ProduceV10()
    {
        var (header, body) = Read(
            "0000000A00000005000772646B61666B610000FFFF0000753002027402000000004F0000000000000000000000420000000002A11C1E16"
            + "000000000000000001A200CAD0DF000001A200CAD0DFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0000000120000000026B1266726F6D2D6E6F646500000000");
        Assert.Equal(10, header.RequestApiVersion);
        var request = Assert.IsType<ProduceRequest>(body);
        Assert.Null(request.TransactionalId);
        Assert.Equal(-1, request.Acks);
        Assert.Equal(30000, request.TimeoutMs);
        var partition = Assert.Single(Assert.Single(request.TopicData).PartitionData);
        Assert.Equal("t", request.TopicData[0].Name);
        Assert.Equal(0, partition.Index);
        var records = Assert.IsType<MemoryRecordSet>(partition.Records);
        Assert.Equal(78, records.SizeInBytes);
        Assert.Equal(1, RecordBatchHeader.Read(records.Bytes.Span).RecordCount);
        Assert.True(RecordBatchHeader.CrcMatches(records.Bytes.Span));
    }

    [Fact]
    public void FetchV16UsesTopicIds()
    {
        var (_, body) = Read(
            "0001001000000002000772646B61666B6100000001F400000001032000000100000000FFFFFFFF020B6A7A067D7E4A389A0C2B3C4D5E6F70"
            + "0200000000000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF001000000000010100");
        var request = Assert.IsType<FetchRequest>(body);
        Assert.Equal(500, request.MaxWaitMs);
        Assert.Equal(1, request.MinBytes);
        Assert.Equal(52428800, request.MaxBytes);
        var topic = Assert.Single(request.Topics);
        Assert.Equal(Guid.Parse("0b6a7a06-7d7e-4a38-9a0c-2b3c4d5e6f70"), topic.TopicId);
        var partition = Assert.Single(topic.Partitions);
        Assert.Equal(0, partition.FetchOffset);
        Assert.Equal(1048576, partition.PartitionMaxBytes);
        Assert.Empty(request.ForgottenTopicsData);
        Assert.Equal("", request.RackId);
    }

    [Fact]
    public void MetadataV12ForAllTopicsToleratesTrailingBytes()
    {
        // librdkafka sends three bytes after the body here; Kafka ignores them, and so does the codec.
        var (_, body) = Read("0003000C00000003000772646B61666B610000000000000000");
        var request = Assert.IsType<MetadataRequest>(body);
        Assert.Null(request.Topics);
        Assert.False(request.AllowAutoTopicCreation);
    }

    [Fact]
    public void OffsetCommitV9()
    {
        var (_, body) = Read("0008000900000009000772646B61666B610003673200000001046D2D3100020274020000000000000000000000010000000001000000");
        var request = Assert.IsType<OffsetCommitRequest>(body);
        Assert.Equal("g2", request.GroupId);
        Assert.Equal(1, request.GenerationIdOrMemberEpoch);
        Assert.Equal("m-1", request.MemberId);
        Assert.Null(request.GroupInstanceId);
        var partition = Assert.Single(Assert.Single(request.Topics).Partitions);
        Assert.Equal(1, partition.CommittedOffset);
        Assert.Equal("", partition.CommittedMetadata);
    }

    [Fact]
    public void OffsetFetchV9BatchesGroups()
    {
        var (_, body) = Read("0009000900000007000772646B61666B61000203673200FFFFFFFF020274020000000000000100");
        var request = Assert.IsType<OffsetFetchRequest>(body);
        var group = Assert.Single(request.Groups);
        Assert.Equal("g2", group.GroupId);
        Assert.Null(group.MemberId);
        Assert.Equal(-1, group.MemberEpoch);
        Assert.Equal([0], Assert.Single(group.Topics!).PartitionIndexes);
        Assert.True(request.RequireStable);
    }

    [Fact]
    public void ListOffsetsV7()
    {
        var (_, body) = Read("0002000700000006000772646B61666B6100FFFFFFFF01020274020000000000000000FFFFFFFFFFFFFFFE000000");
        var request = Assert.IsType<ListOffsetsRequest>(body);
        Assert.Equal(-1, request.ReplicaId);
        Assert.Equal(1, request.IsolationLevel);
        var partition = Assert.Single(Assert.Single(request.Topics).Partitions);
        Assert.Equal(-2, partition.Timestamp);
    }
}
