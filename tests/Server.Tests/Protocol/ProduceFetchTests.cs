using System.Diagnostics;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class ProduceFetchTests
{
    [Theory]
    [InlineData(3, 4)]
    [InlineData(7, 11)]
    [InlineData(9, 12)]
    [InlineData(11, 16)]
    public async Task Produced_batch_is_fetched_back_byte_for_byte(short produceVersion, short fetchVersion)
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "t1");
        var batch1 = Batches.Build(3, "a");
        var batch2 = Batches.Build(2, "b");
        var p1 = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, produceVersion, Batches.Produce("t1", 0, batch1));
        var p2 = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, produceVersion, Batches.Produce("t1", 0, batch2));
        Assert.Equal(0, p1.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(0, p1.Responses[0].PartitionResponses[0].BaseOffset);
        Assert.Equal(3, p2.Responses[0].PartitionResponses[0].BaseOffset);

        var topicId = broker.Host.Metadata.Image.Topic("t1")!.TopicId;
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, fetchVersion, Batches.Fetch("t1", 0, 0, topicId: topicId));
        var part = fetch.Responses[0].Partitions[0];
        Assert.Equal(0, part.ErrorCode);
        Assert.Equal(5, part.HighWatermark);
        Assert.Equal(5, part.LastStableOffset);
        Assert.Equal(fetchVersion >= 5 ? 0 : -1, part.LogStartOffset);
        Assert.Equal([.. Batches.AsStored(batch1, 0), .. Batches.AsStored(batch2, 3)], Batches.RecordBytes(fetch));
    }

    [Fact]
    public async Task Long_poll_returns_when_data_arrives()
    {
        await using var broker = await TestBroker.StartAsync();
        using var consumer = broker.Connect();
        using var producer = broker.Connect();
        await Batches.CreateTopicAsync(producer, "lp");
        var clock = Stopwatch.StartNew();
        var id = await consumer.SendAsync(ApiKey.Fetch, 12, Batches.Fetch("lp", 0, 0, maxWaitMs: 10_000));
        var receive = consumer.ReceiveAsync<FetchResponse>(ApiKey.Fetch, 12, id);
        Assert.False(receive.IsCompleted);
        var batch = Batches.Build(1);
        await producer.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("lp", 0, batch));
        var fetch = await receive;
        Assert.True(clock.ElapsedMilliseconds < 5_000, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));
    }

    [Fact]
    public async Task Long_poll_returns_empty_after_max_wait()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "idle");
        var clock = Stopwatch.StartNew();
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("idle", 0, 0, maxWaitMs: 300));
        var elapsed = clock.ElapsedMilliseconds;
        Assert.True(elapsed >= 280, $"returned after {elapsed} ms");
        Assert.True(elapsed < 3000, $"returned after {elapsed} ms");
        Assert.Equal(0, fetch.Responses[0].Partitions[0].ErrorCode);
        Assert.Empty(Batches.RecordBytes(fetch));
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order_behind_a_long_poll()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "pipe");
        var frames = new List<byte>();
        var expected = new List<(int Id, ApiKey Key, short Version)>();
        var first = conn.NextCorrelationId();
        frames.AddRange(RawConnection.EncodeRequest(ApiKey.Fetch, 12, first, Batches.Fetch("pipe", 0, 0, maxWaitMs: 400)));
        expected.Add((first, ApiKey.Fetch, 12));
        for (var i = 0; i < 19; i++)
        {
            var id = conn.NextCorrelationId();
            if (i % 3 == 0)
            {
                frames.AddRange(RawConnection.EncodeRequest(ApiKey.Metadata, 12, id, new MetadataRequest { Topics = null }));
                expected.Add((id, ApiKey.Metadata, 12));
            }
            else if (i % 3 == 1)
            {
                frames.AddRange(RawConnection.EncodeRequest(ApiKey.ApiVersions, 3, id, new ApiVersionsRequest()));
                expected.Add((id, ApiKey.ApiVersions, 3));
            }
            else
            {
                // acks=0 gets no response at all.
                frames.AddRange(RawConnection.EncodeRequest(ApiKey.Produce, 9, id, Batches.Produce("pipe", 0, Batches.Build(1), acks: 0)));
            }
        }
        await conn.SendRawAsync(frames.ToArray());
        foreach (var (id, key, version) in expected)
        {
            var frame = await conn.ReadFrameAsync();
            Assert.NotNull(frame);
            var correlationId = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame);
            Assert.Equal(id, correlationId);
            _ = key;
            _ = version;
        }
    }
}
