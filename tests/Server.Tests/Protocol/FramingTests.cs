using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class FramingTests
{
    [Fact]
    public async Task Size_above_socket_request_max_bytes_is_rejected()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["socket.request.max.bytes"] = "1000" });
        using var conn = broker.Connect();
        var frame = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1001);
        await conn.SendRawAsync(frame);
        Assert.True(await conn.IsClosedByBrokerAsync());
    }

    [Fact]
    public async Task Negative_size_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var frame = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(frame, -5);
        await conn.SendRawAsync(frame);
        Assert.True(await conn.IsClosedByBrokerAsync());
    }

    [Fact]
    public async Task Unknown_api_key_closes_only_that_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var raw = RawConnection.EncodeRequest(ApiKey.ApiVersions, 0, 1, new ApiVersionsRequest());
        BinaryPrimitives.WriteInt16BigEndian(raw.AsSpan(4), 1234);
        await conn.SendRawAsync(raw);
        Assert.True(await conn.IsClosedByBrokerAsync());
        using var other = broker.Connect();
        var ok = await other.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 0, new ApiVersionsRequest());
        Assert.Equal(0, ok.ErrorCode);
    }

    [Fact]
    public async Task Truncated_body_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        // A v3 ApiVersions body is two compact strings and tags; declare a frame that ends inside the header.
        var raw = RawConnection.EncodeRequest(ApiKey.ApiVersions, 3, 1, new ApiVersionsRequest { ClientSoftwareName = "abcdef" });
        var cut = raw[..(raw.Length - 5)];
        BinaryPrimitives.WriteInt32BigEndian(cut, cut.Length - 4);
        await conn.SendRawAsync(cut);
        Assert.True(await conn.IsClosedByBrokerAsync());
    }

    [Fact]
    public async Task Partial_frame_waits_for_the_rest()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var raw = RawConnection.EncodeRequest(ApiKey.ApiVersions, 2, 5, new ApiVersionsRequest());
        await conn.SendRawAsync(raw.AsMemory(0, 3));
        await conn.SendRawAsync(raw.AsMemory(3, 6));
        await conn.SendRawAsync(raw.AsMemory(9));
        var response = await conn.ReceiveAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 2, 5);
        Assert.Equal(0, response.ErrorCode);
    }

    [Fact]
    public async Task Seeded_fuzz_leaves_the_broker_serving()
    {
        await using var broker = await TestBroker.StartAsync();
        var random = new Random(20261122);
        var seeds = new List<byte[]>
        {
            RawConnection.EncodeRequest(ApiKey.ApiVersions, 3, 1, new ApiVersionsRequest { ClientSoftwareName = "fuzz" }),
            RawConnection.EncodeRequest(ApiKey.Metadata, 12, 2, new MetadataRequest { Topics = null }),
            RawConnection.EncodeRequest(ApiKey.Metadata, 1, 3, new MetadataRequest { Topics = [new() { Name = "t" }] }),
            RawConnection.EncodeRequest(ApiKey.Fetch, 12, 4, new FetchRequest { MaxWaitMs = 0, Topics = [new() { Topic = "t", Partitions = [new() { Partition = 0 }] }] }),
        };
        for (var round = 0; round < 200; round++)
        {
            using var conn = broker.Connect();
            byte[] frame;
            if (random.Next(4) == 0)
            {
                frame = new byte[random.Next(4, 200)];
                random.NextBytes(frame);
                if (random.Next(2) == 0)
                    BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
            }
            else
            {
                frame = (byte[])seeds[random.Next(seeds.Count)].Clone();
                var flips = random.Next(1, 6);
                for (var i = 0; i < flips; i++)
                    frame[random.Next(4, frame.Length)] = (byte)random.Next(256);
            }
            await conn.SendRawAsync(frame);
            // Whatever happens (answer, close or wait), the broker must not crash; drop the connection.
            try
            {
                await conn.ReadFrameAsync(TimeSpan.FromMilliseconds(20));
            }
            catch (OperationCanceledException)
            {
                // No answer yet (e.g. the frame claims more bytes than were sent): fine.
            }
        }
        using var fresh = broker.Connect();
        var ok = await fresh.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest());
        Assert.Equal(0, ok.ErrorCode);
    }
}
