using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

[Collection(SerialCollection.Name)]
public sealed class OversizeTests
{
    [Fact]
    public async Task Oversized_size_prefix_closes_the_connection_without_allocating_the_body()
    {
        await using var broker = await TestBroker.StartAsync();
        using var bystander = broker.Connect();
        using var conn = broker.Connect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var frame = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(frame, int.MaxValue); // ~2 GB claimed, 8 bytes sent
        await conn.SendRawAsync(frame);
        Assert.True(await conn.IsClosedByBrokerAsync());
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 64L * 1024 * 1024, $"broker allocated {allocated} bytes for a rejected request");

        var ok = await bystander.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest());
        Assert.Equal(0, ok.ErrorCode);
    }
}
