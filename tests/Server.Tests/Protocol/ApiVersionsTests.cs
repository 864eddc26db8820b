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
}
