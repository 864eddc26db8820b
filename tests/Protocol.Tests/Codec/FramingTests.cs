using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Protocol.Tests.Codec;

public class FramingTests
{
    [Fact]
    public void RequestFrameRoundTripsThroughWriteRequestAndReadRequest()
    {
        var output = new ArrayBufferWriter<byte>();
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.Metadata, RequestApiVersion = 12, CorrelationId = 77, ClientId = "client" };
        var body = new MetadataRequest { Topics = [new() { Name = "orders" }], IncludeTopicAuthorizedOperations = true };
        var written = MessageCodec.WriteRequest(output, header, body);

        var frame = output.WrittenMemory;
        Assert.Equal(written - 4, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame.Span));
        var (readHeader, readBody) = MessageCodec.ReadRequest(frame[4..]);
        Assert.Equal(ApiKey.Metadata, readHeader.ApiKey);
        Assert.Equal(12, readHeader.RequestApiVersion);
        Assert.Equal(77, readHeader.CorrelationId);
        Assert.Equal("client", readHeader.ClientId);
        var request = Assert.IsType<MetadataRequest>(readBody);
        Assert.Equal("orders", Assert.Single(request.Topics!).Name);
    }

    [Fact]
    public void HeaderOfAnUnsupportedVersionIsReadableAndTheBodyThrows()
    {
        // ApiVersions v9 (unknown, flexible): header v2, then a body we do not understand
        var frame = Convert.FromHexString("0012000900000003000178" + "00" + "FFFF");
        var reader = new KafkaReader(frame);
        var header = MessageCodec.ReadRequestHeader(ref reader);
        Assert.Equal(ApiKey.ApiVersions, header.ApiKey);
        Assert.Equal(9, header.RequestApiVersion);
        Assert.Equal(3, header.CorrelationId);
        Assert.Equal("x", header.ClientId);

        try
        {
            MessageCodec.ReadRequestBody(ref reader, header);
            Assert.Fail("expected an exception");
        }
        catch (KafkaProtocolException e)
        {
            Assert.Contains("Unsupported version", e.Message, StringComparison.Ordinal);
        }

        // The answer: a v0 body with UNSUPPORTED_VERSION (35) and our ApiVersions range, under response header v0.
        var output = new ArrayBufferWriter<byte>();
        var response = new ApiVersionsResponse { ErrorCode = 35, ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 4 }] };
        MessageCodec.WriteResponse(output, header, response, version: 0);
        Assert.Equal(Convert.FromHexString("00000010" + "00000003" + "0023" + "00000001" + "0012" + "0000" + "0004"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void UnknownApiKeyHeaderIsReadAsVersionOne()
    {
        var frame = Convert.FromHexString("7FFF0000000000050000");
        var reader = new KafkaReader(frame);
        var header = MessageCodec.ReadRequestHeader(ref reader);
        Assert.Equal(0x7FFF, header.RequestApiKey);
        Assert.Equal("", header.ClientId);
        Assert.IsType<KafkaProtocolException>(Record.Exception(() =>
        {
            var r = new KafkaReader(frame);
            var h = MessageCodec.ReadRequestHeader(ref r);
            MessageCodec.ReadRequestBody(ref r, h);
        }));
    }

    [Fact]
    public void ControlledShutdownV0UsesRequestHeaderV0()
    {
        Assert.Equal(0, ApiRegistry.RequestHeaderVersion(ApiKey.ControlledShutdown, 0));
        Assert.Equal(1, ApiRegistry.RequestHeaderVersion(ApiKey.ControlledShutdown, 1));
    }

    [Theory]
    [InlineData(ApiKey.Produce, 8, 1, 0)]
    [InlineData(ApiKey.Produce, 9, 2, 1)]
    [InlineData(ApiKey.Fetch, 11, 1, 0)]
    [InlineData(ApiKey.Fetch, 12, 2, 1)]
    [InlineData(ApiKey.Metadata, 9, 2, 1)]
    [InlineData(ApiKey.ApiVersions, 2, 1, 0)]
    [InlineData(ApiKey.ApiVersions, 3, 2, 0)]
    [InlineData(ApiKey.DescribeCluster, 0, 2, 1)]
    [InlineData(ApiKey.DescribeQuorum, 0, 2, 1)]
    public void HeaderVersionsFollowFlexibility(ApiKey apiKey, short version, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, ApiRegistry.RequestHeaderVersion(apiKey, version));
        Assert.Equal(responseHeader, ApiRegistry.ResponseHeaderVersion(apiKey, version));
    }

    [Fact]
    public void ResponseRoundTripsThroughWriteResponseAndReadResponse()
    {
        var request = new RequestHeader { RequestApiKey = (short)ApiKey.Produce, RequestApiVersion = 9, CorrelationId = 12 };
        var response = new ProduceResponse { Responses = [new() { Name = "t", PartitionResponses = [new() { Index = 1, BaseOffset = 99 }] }] };
        var output = new ArrayBufferWriter<byte>();
        var written = MessageCodec.WriteResponse(output, request, response);
        Assert.Equal(written, output.WrittenCount);
        Assert.Equal(written - 4, MessageCodec.ComputeResponseSize(request, response));

        var read = MessageCodec.ReadResponse<ProduceResponse>(output.WrittenMemory[4..], ApiKey.Produce, 9, out var correlationId);
        Assert.Equal(12, correlationId);
        Assert.Equal(99, read.Responses[0].PartitionResponses[0].BaseOffset);
    }
}
