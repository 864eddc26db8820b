using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class ApiVersionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Every_supported_version_lists_the_api_ranges(short version)
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var response = await conn.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, version,
            new ApiVersionsRequest { ClientSoftwareName = "test", ClientSoftwareVersion = "1.0" });
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        var apiVersions = response.ApiKeys.Single(k => k.ApiKey == (short)ApiKey.ApiVersions);
        Assert.Equal(0, apiVersions.MinVersion);
        Assert.Equal(4, apiVersions.MaxVersion);
    }

    [Fact]
    public async Task Unsupported_version_gets_error_35_with_a_v0_body()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var id = await conn.SendAsync(ApiKey.ApiVersions, 4, new ApiVersionsRequest());
        // Rewrite the version in an already-encoded v4 request to 99: header v2, body unread by the broker.
        var raw = RawConnection.EncodeRequest(ApiKey.ApiVersions, 4, 77, new ApiVersionsRequest());
        BinaryPrimitives.WriteInt16BigEndian(raw.AsSpan(6), 99);
        await conn.ReceiveAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 4, id);
        await conn.SendRawAsync(raw);
        var response = await conn.ReceiveAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 0, 77);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.ErrorCode);
        Assert.Contains(response.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions && k.MaxVersion == 4);

        // The connection stays usable.
        var again = await conn.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest());
        Assert.Equal((short)ErrorCode.None, again.ErrorCode);
    }

    [Fact]
    public async Task Produce_is_advertised_from_v0_as_Kafka_4_does_for_librdkafka()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var response = await conn.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest());
        var produce = response.ApiKeys.Single(k => k.ApiKey == (short)ApiKey.Produce);
        Assert.Equal(0, produce.MinVersion);
        Assert.Equal(11, produce.MaxVersion);
        var fetch = response.ApiKeys.Single(k => k.ApiKey == (short)ApiKey.Fetch);
        Assert.Equal(4, fetch.MinVersion);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Produce_v0_to_v2_is_refused_by_closing_the_connection_and_appends_nothing(short version)
    {
        await using var broker = await TestBroker.StartAsync();
        using var setup = broker.Connect();
        await Batches.CreateTopicAsync(setup, "old");

        // Produce v0-v2 (header v1): acks, timeout, [topic [partition message_set]]. The bytes are a v2 batch, which
        // a broker that decoded these versions would append.
        var records = Batches.Build(2);
        var body = new List<byte>();
        void Int16(short v) { var b = new byte[2]; BinaryPrimitives.WriteInt16BigEndian(b, v); body.AddRange(b); }
        void Int32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); body.AddRange(b); }
        Int16((short)ApiKey.Produce);
        Int16(version);
        Int32(5);
        Int16(-1); // client id: null
        Int16(1); // acks
        Int32(5000);
        Int32(1);
        Int16(3);
        body.AddRange("old"u8.ToArray());
        Int32(1);
        Int32(0);
        Int32(records.Length);
        body.AddRange(records);
        var frame = new byte[4 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Count);
        body.CopyTo(frame, 4);

        using var conn = broker.Connect();
        await conn.SendRawAsync(frame);
        Assert.Null(await conn.ReadFrameAsync());

        var fetch = await setup.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("old", 0, 0));
        Assert.Equal(0, fetch.Responses[0].Partitions[0].HighWatermark);
        var ok = await setup.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 3, Batches.Produce("old", 0, records));
        Assert.Equal(0, ok.Responses[0].PartitionResponses[0].ErrorCode);
    }
}
