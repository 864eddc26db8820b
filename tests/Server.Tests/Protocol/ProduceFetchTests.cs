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

    [Fact]
    public async Task Metadata_pipelined_behind_a_held_request_describes_the_state_when_its_turn_comes()
    {
        // Kafka handles a connection's requests one at a time. Answered from the state at its arrival, a Metadata
        // behind an acks=all Produce held through a failover would name the old leaders after the Produce's answer,
        // and librdkafka 2.0.2 can then strand the partition on the dead broker (ReplicatedDurabilityTests).
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        using var admin = broker.Connect();
        await Batches.CreateTopicAsync(conn, "held");
        var fetchId = conn.NextCorrelationId();
        var metadataId = conn.NextCorrelationId();
        await conn.SendRawAsync((byte[])[
            .. RawConnection.EncodeRequest(ApiKey.Fetch, 12, fetchId, Batches.Fetch("held", 0, 0, maxWaitMs: 30_000)),
            .. RawConnection.EncodeRequest(ApiKey.Metadata, 12, metadataId, new MetadataRequest { Topics = null }),
        ]);
        await Batches.CreateTopicAsync(admin, "created-while-held");
        // Only this record ends the long poll, so the topic existed before the Fetch was answered.
        var batch = Batches.Build(1);
        await admin.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("held", 0, batch));

        var fetch = await conn.ReceiveAsync<FetchResponse>(ApiKey.Fetch, 12, fetchId);
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));
        var metadata = await conn.ReceiveAsync<MetadataResponse>(ApiKey.Metadata, 12, metadataId);
        Assert.Contains(metadata.Topics, t => t.Name == "created-while-held");
    }

    [Fact]
    public async Task A_malformed_metadata_request_held_behind_a_long_poll_closes_the_connection_after_the_earlier_answer()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "bad");
        var fetchId = conn.NextCorrelationId();
        // A Metadata request whose topic list is cut short (its size prefix says so): malformed, not merely slow.
        var metadata = RawConnection.EncodeRequest(ApiKey.Metadata, 12, conn.NextCorrelationId(),
            new MetadataRequest { Topics = [new() { Name = "bad" }] })[..^6];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(metadata, metadata.Length - 4);
        await conn.SendRawAsync((byte[])[
            .. RawConnection.EncodeRequest(ApiKey.Fetch, 12, fetchId, Batches.Fetch("bad", 0, 0, maxWaitMs: 300)),
            .. metadata,
        ]);
        var fetch = await conn.ReceiveAsync<FetchResponse>(ApiKey.Fetch, 12, fetchId);
        Assert.Equal(0, fetch.Responses[0].Partitions[0].ErrorCode);
        Assert.True(await conn.IsClosedByBrokerAsync());
    }
}
