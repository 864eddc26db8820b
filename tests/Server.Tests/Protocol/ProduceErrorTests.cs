using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class ProduceErrorTests
{
    private static async Task<ProduceResponse.PartitionProduceResponse> Produce(RawConnection conn, ProduceRequest request, short version = 9) =>
        (await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, version, request)).Responses[0].PartitionResponses[0];

    [Fact]
    public async Task Invalid_acks_unknown_partition_and_unknown_topic()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "false" });
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest { Topics = [new() { Name = "e1", NumPartitions = 1, ReplicationFactor = 1 }] });
        Assert.Equal((short)ErrorCode.InvalidRequiredAcks, (await Produce(conn, Batches.Produce("e1", 0, Batches.Build(1), acks: 2))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await Produce(conn, Batches.Produce("e1", 7, Batches.Build(1)))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await Produce(conn, Batches.Produce("nope", 0, Batches.Build(1)))).ErrorCode);
    }

    [Fact]
    public async Task Corrupt_crc_is_CORRUPT_MESSAGE_and_nothing_is_appended()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "crc");
        var batch = Batches.Build(3);
        batch[^1] ^= 0xFF;
        var result = await Produce(conn, Batches.Produce("crc", 0, batch));
        Assert.Equal((short)ErrorCode.CorruptMessage, result.ErrorCode);
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("crc", 0, 0));
        Assert.Equal(0, fetch.Responses[0].Partitions[0].HighWatermark);
    }

    [Fact]
    public async Task Batch_over_max_message_bytes_is_MESSAGE_TOO_LARGE()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [new() { Name = "small", NumPartitions = 1, ReplicationFactor = 1, Configs = [new() { Name = "max.message.bytes", Value = "200" }] }],
        });
        var result = await Produce(conn, Batches.Produce("small", 0, Batches.Build(30)));
        Assert.Equal((short)ErrorCode.MessageTooLarge, result.ErrorCode);
        Assert.Equal(0, (await Produce(conn, Batches.Produce("small", 0, Batches.Build(1)))).ErrorCode);
    }

    [Fact]
    public async Task Acks_all_with_min_isr_above_one_is_NOT_ENOUGH_REPLICAS()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "isr");
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, (await Produce(conn, Batches.Produce("isr", 0, Batches.Build(1), acks: -1))).ErrorCode);
        Assert.Equal(0, (await Produce(conn, Batches.Produce("isr", 0, Batches.Build(1), acks: 1))).ErrorCode);
    }

    [Fact]
    public async Task Empty_records_are_rejected()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "empty");
        var result = await Produce(conn, Batches.Produce("empty", 0, []));
        Assert.NotEqual(0, result.ErrorCode);
    }

    [Fact]
    public async Task Idempotent_duplicate_returns_original_offset_and_gap_is_out_of_order()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "idem");
        var init = await conn.RequestAsync<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, 4, new InitProducerIdRequest { TransactionalId = null });
        Assert.Equal(0, init.ErrorCode);
        var pid = init.ProducerId;
        var first = Batches.Build(2, producerId: pid, epoch: init.ProducerEpoch, baseSequence: 0);
        var r1 = await Produce(conn, Batches.Produce("idem", 0, (byte[])first.Clone()));
        Assert.Equal(0, r1.ErrorCode);
        Assert.Equal(0, r1.BaseOffset);
        var dup = await Produce(conn, Batches.Produce("idem", 0, (byte[])first.Clone()));
        Assert.Equal(0, dup.ErrorCode);
        Assert.Equal(0, dup.BaseOffset);
        var gap = await Produce(conn, Batches.Produce("idem", 0, Batches.Build(1, producerId: pid, epoch: init.ProducerEpoch, baseSequence: 5)));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        var next = await Produce(conn, Batches.Produce("idem", 0, Batches.Build(1, producerId: pid, epoch: init.ProducerEpoch, baseSequence: 2)));
        Assert.Equal(0, next.ErrorCode);
        Assert.Equal(2, next.BaseOffset);
    }

    [Fact]
    public async Task LogAppendTime_topic_stamps_the_batch()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["log.message.timestamp.type"] = "LogAppendTime" });
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "lat");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var result = await Produce(conn, Batches.Produce("lat", 0, Batches.Build(2, timestamp: 1000)));
        Assert.Equal(0, result.ErrorCode);
        Assert.True(result.LogAppendTimeMs >= before);
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("lat", 0, 0));
        var header = RecordBatchHeader.Read(Batches.RecordBytes(fetch));
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(result.LogAppendTimeMs, header.MaxTimestamp);
    }

    [Fact]
    public async Task Produce_never_auto_creates_only_Metadata_does()
    {
        // auto.create.topics.enable defaults to true: Kafka still answers a Produce to an unknown topic with
        // UNKNOWN_TOPIC_OR_PARTITION for every partition; clients create by asking Metadata first.
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var response = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 5000,
            TopicData = [new()
            {
                Name = "made-by-produce",
                PartitionData = [new() { Index = 0, Records = new MemoryRecordSet(Batches.Build(1)) }, new() { Index = 1, Records = new MemoryRecordSet(Batches.Build(1)) }],
            }],
        });
        var topic = Assert.Single(response.Responses);
        Assert.Equal("made-by-produce", topic.Name);
        Assert.Equal([0, 1], topic.PartitionResponses.Select(p => p.Index));
        Assert.All(topic.PartitionResponses, p =>
        {
            Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, p.ErrorCode);
            Assert.Equal(-1, p.BaseOffset);
        });
        Assert.Null(broker.Host.Metadata.Image.Topic("made-by-produce"));

        await Batches.CreateTopicAsync(conn, "made-by-produce");
        var after = await Produce(conn, Batches.Produce("made-by-produce", 0, Batches.Build(1)));
        Assert.Equal(0, after.ErrorCode);
        Assert.Equal(0, after.BaseOffset);
    }

    [Fact]
    public async Task Failed_acks_0_produce_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "false" });
        using var conn = broker.Connect();
        await conn.SendAsync(ApiKey.Produce, 9, Batches.Produce("absent", 0, Batches.Build(1), acks: 0));
        Assert.True(await conn.IsClosedByBrokerAsync());
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public async Task Keyless_records_on_a_compacted_topic_are_INVALID_RECORD_with_one_record_error_each(CompressionType compression)
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [new() { Name = "compacted", NumPartitions = 1, ReplicationFactor = 1, Configs = [new() { Name = "cleanup.policy", Value = "compact" }] }],
        });
        Assert.Equal(0, created.Topics[0].ErrorCode);

        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        byte[] keyless;
        using (var builder = new RecordBatchBuilder(compression))
        {
            builder.Add(ts, "k0"u8.ToArray(), "v0"u8.ToArray());
            builder.Add(ts, null, "v1"u8.ToArray());
            builder.Add(ts, "k2"u8.ToArray(), "v2"u8.ToArray());
            builder.Add(ts, null, "v3"u8.ToArray());
            keyless = builder.ToArray();
        }

        var result = await Produce(conn, Batches.Produce("compacted", 0, keyless));
        Assert.Equal((short)ErrorCode.InvalidRecord, result.ErrorCode);
        Assert.Equal(-1, result.BaseOffset);
        const string Why = "Compacted topic cannot accept message without key in topic partition compacted-0.";
        Assert.Equal([1, 3], result.RecordErrors.Select(e => e.BatchIndex));
        Assert.All(result.RecordErrors, e => Assert.Equal(Why, e.BatchIndexErrorMessage));
        Assert.Equal(
            "One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: "
            + $"[RecordError(batchIndex=1, message='{Why}'), RecordError(batchIndex=3, message='{Why}')]",
            result.ErrorMessage);
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("compacted", 0, 0));
        Assert.Equal(0, fetch.Responses[0].Partitions[0].HighWatermark);

        // An empty key is a key; and a topic that is not compacted takes keyless records.
        byte[] keyed;
        using (var builder = new RecordBatchBuilder(compression))
        {
            builder.Add(ts, "k0"u8.ToArray(), "v0"u8.ToArray());
            builder.Add(ts, [], "v1"u8.ToArray());
            keyed = builder.ToArray();
        }

        Assert.Equal(0, (await Produce(conn, Batches.Produce("compacted", 0, keyed))).ErrorCode);
        await Batches.CreateTopicAsync(conn, "plain");
        Assert.Equal(0, (await Produce(conn, Batches.Produce("plain", 0, keyless))).ErrorCode);
    }
}
