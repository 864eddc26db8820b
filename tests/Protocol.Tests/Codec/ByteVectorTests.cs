using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Codec;

/// <summary>Exact bytes derived by hand from the protocol guide and the JSON message definitions.</summary>
public class ByteVectorTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Body<T>(T message, short version)
        where T : class
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, message, version);
        Assert.Equal(output.WrittenCount, MessageCodec.ComputeSize(message, version));
        return output.WrittenSpan.ToArray();
    }

    private static byte[] RequestFrame<T>(ApiKey apiKey, short version, int correlationId, string? clientId, T body)
        where T : class
    {
        var output = new ArrayBufferWriter<byte>();
        var header = new RequestHeader { RequestApiKey = (short)apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = clientId };
        var written = MessageCodec.WriteRequest(output, header, body);
        Assert.Equal(output.WrittenCount, written);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void ApiVersionsV0RequestIsHeaderV1AndAnEmptyBody()
    {
        // size=12 | api_key=18 | version=0 | correlation_id=1 | client_id="ab"
        Assert.Equal(Hex("0000000C 0012 0000 00000001 0002 6162"), RequestFrame(ApiKey.ApiVersions, 0, 1, "ab", new ApiVersionsRequest()));
    }

    [Fact]
    public void ApiVersionsV3RequestIsFlexibleWithHeaderV2()
    {
        var body = new ApiVersionsRequest { ClientSoftwareName = "kcat", ClientSoftwareVersion = "1.0" };
        // header v2: key, version, correlation, client_id as a classic nullable string, empty tag buffer;
        // body: compact strings (length+1 as unsigned varint), empty tag buffer.
        var expected = Hex("00000016 0012 0003 00000007 0001 63 00  05 6B636174 04 312E30 00");
        Assert.Equal(expected, RequestFrame(ApiKey.ApiVersions, 3, 7, "c", body));
    }

    [Fact]
    public void VoteV2RequestIsFlexibleWithTheMetadataPartitionAndPreVote()
    {
        var body = new VoteRequest
        {
            ClusterId = "c",
            VoterId = 4,
            Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0, ReplicaEpoch = 5, ReplicaId = 2, LastOffsetEpoch = 4, LastOffset = 10, PreVote = true }] }],
        };
        // cluster_id "c" | voter_id 4 | topics [1]: name (18 bytes), partitions [1]: index 0, replica_epoch 5,
        // replica_id 2, two zero directory ids, last_offset_epoch 4, last_offset 10, pre_vote 1, then three empty tag buffers.
        var expected = Hex("02 63  00000004  02 13 5F5F636C75737465725F6D65746164617461  02 00000000 00000005 00000002"
            + " 00000000000000000000000000000000 00000000000000000000000000000000 00000004 000000000000000A 01 00 00 00");
        Assert.Equal(expected, Body(body, 2));

        // v1 has no PreVote: a pre-vote cannot be sent to a voter that would count it as a vote.
        Assert.Throws<KafkaProtocolException>(() => Body(body, 1));
    }

    [Fact]
    public void FetchV18RequestCarriesTheFollowersHighWatermarkAsPartitionTag1()
    {
        // apache/kafka FetchRequest.json: FetchPartition's ReplicaDirectoryId is tag 0 (v17+), HighWatermark tag 1
        // (v18+, default Long.MAX_VALUE, not written); the request's ReplicaState is top-level tag 1 (v15+).
        var directory = new Guid(Hex("00112233445566778899AABBCCDDEEFF"), bigEndian: true);
        var body = new FetchRequest
        {
            ReplicaState = new() { ReplicaId = 2, ReplicaEpoch = -1 },
            MaxWaitMs = 500,
            MaxBytes = 0x100000,
            Topics = [new() { TopicId = new Guid(Hex("00000000000000000000000000000001"), bigEndian: true), Partitions = [new() { Partition = 0, CurrentLeaderEpoch = 5, FetchOffset = 42, LastFetchedEpoch = 4, PartitionMaxBytes = 0x100000, ReplicaDirectoryId = directory, HighWatermark = 41 }] }],
        };
        // max_wait 500 | min_bytes 0 | max_bytes | isolation 0 | session id 0 | session epoch -1 | topics [1]: topic id,
        // partitions [1]: partition 0, current leader epoch 5, fetch offset 42, last fetched epoch 4, log start -1,
        // partition max bytes, tags: 2 fields, tag 0 (16 bytes) directory id, tag 1 (8 bytes) high watermark 41; topic tags |
        // forgotten [] | rack "" | tags: 1 field, tag 1 (13 bytes) replica state: id 2, epoch -1, its tags.
        var expected = Hex("000001F4 00000000 00100000 00 00000000 FFFFFFFF"
            + " 02 00000000000000000000000000000001 02 00000000 00000005 000000000000002A 00000004 FFFFFFFFFFFFFFFF 00100000"
            + " 02 00 10 00112233445566778899AABBCCDDEEFF 01 08 0000000000000029 00"
            + " 01 01 01 01 0D 00000002 FFFFFFFFFFFFFFFF 00");
        Assert.Equal(expected, Body(body, 18));
        var reader = new KafkaReader(expected);
        var back = MessageCodec.Read<FetchRequest>(ref reader, 18).Topics[0].Partitions[0];
        Assert.Equal((41L, directory), (back.HighWatermark, back.ReplicaDirectoryId));

        // At v17 the field does not exist: dropped (ignorable), the partition keeps only tag 0 (10 bytes fewer).
        Assert.Equal(expected.Length - 10, Body(body, 17).Length);
        // A follower that knows no high watermark sends none (the default is not written).
        body.Topics[0].Partitions[0].HighWatermark = long.MaxValue;
        Assert.Equal(expected.Length - 10, Body(body, 18).Length);
    }

    [Fact]
    public void ApiVersionsRequestV3ParsesFromTheWire()
    {
        var frame = Hex("0012 0003 00000007 0001 63 00  05 6B636174 04 312E30 00");
        var (header, body) = MessageCodec.ReadRequest(frame);
        Assert.Equal(ApiKey.ApiVersions, header.ApiKey);
        Assert.Equal(7, header.CorrelationId);
        Assert.Equal("c", header.ClientId);
        var request = Assert.IsType<ApiVersionsRequest>(body);
        Assert.Equal("kcat", request.ClientSoftwareName);
        Assert.Equal("1.0", request.ClientSoftwareVersion);
    }

    [Fact]
    public void MetadataV0RequestListsTopicsWithInt32CountAndInt16Strings()
    {
        var body = new MetadataRequest { Topics = [new() { Name = "t" }] };
        Assert.Equal(Hex("00000001 0001 74"), Body(body, 0));
    }

    [Fact]
    public void MetadataV12RequestUsesCompactNullArrayAndTaggedBuffers()
    {
        Assert.Equal(Hex("00 01 00 00"), Body(new MetadataRequest { Topics = null }, 12));
        var oneTopic = new MetadataRequest { Topics = [new() { Name = "t" }], AllowAutoTopicCreation = false, IncludeTopicAuthorizedOperations = true };
        Assert.Equal(Hex("02 00000000000000000000000000000000 02 74 00  00 01 00"), Body(oneTopic, 12));
    }

    [Fact]
    public void ProduceV3RequestCarriesRecordsAsInt32LengthAndRawBytes()
    {
        var body = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 1000,
            TopicData = [new() { Name = "t", PartitionData = [new() { Index = 0, Records = new MemoryRecordSet(new byte[] { 0xAA, 0xBB, 0xCC }) }] }],
        };
        Assert.Equal(Hex("FFFF FFFF 000003E8 00000001 0001 74 00000001 00000000 00000003 AABBCC"), Body(body, 3));
    }

    [Fact]
    public void ProduceV9RequestIsCompactWithATagBufferAfterEveryStruct()
    {
        var body = new ProduceRequest
        {
            TransactionalId = "x",
            Acks = 1,
            TimeoutMs = 1000,
            TopicData = [new() { Name = "t", PartitionData = [new() { Index = 2, Records = new MemoryRecordSet(new byte[] { 0xAA, 0xBB, 0xCC }) }] }],
        };
        Assert.Equal(Hex("02 78 0001 000003E8 02 02 74 02 00000002 04 AABBCC 00 00 00"), Body(body, 9));
    }

    [Fact]
    public void ProduceRequestRecordsAreASliceOfTheFrameNotACopy()
    {
        var frame = Hex("0000 0003 0000002A 0002 6964  FFFF FFFF 000003E8 00000001 0001 74 00000001 00000000 00000003 AABBCC");
        var (header, body) = MessageCodec.ReadRequest(frame);
        Assert.Equal(42, header.CorrelationId);
        var request = Assert.IsType<ProduceRequest>(body);
        var records = Assert.IsType<MemoryRecordSet>(request.TopicData[0].PartitionData[0].Records);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(records.Bytes, out var segment));
        Assert.Same(frame, segment.Array);
        Assert.Equal(frame.Length - 3, segment.Offset);
        Assert.Equal(3, segment.Count);
    }

    [Fact]
    public void ResponseHeaderV0ForNonFlexibleAndV1ForFlexibleVersions()
    {
        var request8 = new RequestHeader { RequestApiKey = (short)ApiKey.Metadata, RequestApiVersion = 8, CorrelationId = 5 };
        var output = new ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, request8, new MetadataResponse());
        // size | correlation id | throttle, brokers[0], cluster_id null, controller -1, topics[0], cluster ops
        Assert.Equal(Hex("0000001A 00000005 00000000 00000000 FFFF FFFFFFFF 00000000 80000000"), output.WrittenSpan.ToArray());

        var request9 = new RequestHeader { RequestApiKey = (short)ApiKey.Metadata, RequestApiVersion = 9, CorrelationId = 5 };
        output.Clear();
        MessageCodec.WriteResponse(output, request9, new MetadataResponse());
        // header v1 adds an empty tag buffer; body v9 is compact
        Assert.Equal(Hex("00000015 00000005 00  00000000 01 00 FFFFFFFF 01 80000000 00"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void ApiVersionsResponseAlwaysUsesResponseHeaderV0()
    {
        var request = new RequestHeader { RequestApiKey = (short)ApiKey.ApiVersions, RequestApiVersion = 3, CorrelationId = 9 };
        var response = new ApiVersionsResponse { ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 4 }] };
        var output = new ArrayBufferWriter<byte>();
        MessageCodec.WriteResponse(output, request, response);
        // no tag buffer after the correlation id, but the flexible body has one per struct
        Assert.Equal(Hex("00000013 00000009  0000 02 0012 0000 0004 00 00000000 00"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void TaggedFieldIsWrittenOnlyWhenItDiffersFromItsDefault()
    {
        var absent = new ApiVersionsResponse();
        Assert.Equal(Hex("0000 01 00000000 00"), Body(absent, 3));

        var present = new ApiVersionsResponse { FinalizedFeaturesEpoch = 5 };
        // one tagged field: tag 1, size 8, int64 5
        Assert.Equal(Hex("0000 01 00000000 01 01 08 0000000000000005"), Body(present, 3));

        var reader = new KafkaReader(Hex("0000 01 00000000 01 01 08 0000000000000005"));
        Assert.Equal(5, MessageCodec.Read<ApiVersionsResponse>(ref reader, 3).FinalizedFeaturesEpoch);
    }

    [Fact]
    public void UnknownTaggedFieldsAreSkipped()
    {
        // tag 7 (unknown, 3 bytes) before tag 1 (known)
        var reader = new KafkaReader(Hex("0000 01 00000000 02 07 03 AABBCC 01 08 0000000000000009"));
        var response = MessageCodec.Read<ApiVersionsResponse>(ref reader, 3);
        Assert.Equal(9, response.FinalizedFeaturesEpoch);
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void TaggedStructIsWrittenWhenAnyOfItsFieldsIsSet()
    {
        var response = new FetchResponse
        {
            Responses = [new() { Topic = "t", Partitions = [new() { PartitionIndex = 0, CurrentLeader = new() { LeaderId = 1, LeaderEpoch = 2 } }] }],
        };
        var bytes = Body(response, 12);
        // ... PreferredReadReplica=-1, Records=null (00), tags: count 1, tag 1, size 9 (two int32 + empty tag buffer)
        Assert.Equal(Hex("FFFFFFFF 00 01 01 09 00000001 00000002 00 00 00"), bytes[^19..]);
    }

    [Fact]
    public void DescribeTopicPartitionsCursorIsANullableStructWithAnInt8Marker()
    {
        // Empty compact array, limit 2000, cursor null (-1), tag buffer.
        Assert.Equal(Hex("01 000007D0 FF 00"), Body(new DescribeTopicPartitionsRequest(), 0));

        // topics [{"t", tags}], limit 2, cursor present (1) {"t", 1, tags}, tags.
        var resume = new DescribeTopicPartitionsRequest
        {
            Topics = [new() { Name = "t" }],
            ResponsePartitionLimit = 2,
            Cursor = new() { TopicName = "t", PartitionIndex = 1 },
        };
        var bytes = Hex("02 02 74 00 00000002 01 02 74 00000001 00 00");
        Assert.Equal(bytes, Body(resume, 0));

        var reader = new KafkaReader(bytes);
        var read = MessageCodec.Read<DescribeTopicPartitionsRequest>(ref reader, 0);
        Assert.True(reader.IsAtEnd);
        Assert.Equal(("t", 1), (read.Cursor!.TopicName, read.Cursor.PartitionIndex));
        reader = new KafkaReader(Hex("01 000007D0 FF 00"));
        Assert.Null(MessageCodec.Read<DescribeTopicPartitionsRequest>(ref reader, 0).Cursor);
    }
}
