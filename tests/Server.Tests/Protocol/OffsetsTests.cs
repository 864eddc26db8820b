using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class OffsetsTests
{
    private static ListOffsetsRequest List(string topic, long timestamp) => new()
    {
        ReplicaId = -1,
        Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, Timestamp = timestamp }] }],
    };

    [Fact]
    public async Task ListOffsets_earliest_latest_by_timestamp_and_max_timestamp()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "lo");
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("lo", 0, Batches.Build(2, timestamp: 1_000)));
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("lo", 0, Batches.Build(3, timestamp: 5_000)));
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("lo", 0, Batches.Build(1, timestamp: 3_000)));
        async Task<ListOffsetsResponse.ListOffsetsPartitionResponse> Run(long ts, short v = 8) =>
            (await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, v, List("lo", ts))).Topics[0].Partitions[0];

        for (short v = 1; v <= 8; v++)
        {
            Assert.Equal(0, (await Run(-2, v)).Offset);
            Assert.Equal(6, (await Run(-1, v)).Offset);
        }
        Assert.Equal(2, (await Run(4_000)).Offset);
        Assert.Equal(5_000, (await Run(4_000)).Timestamp);
        Assert.Equal(0, (await Run(0)).Offset);
        Assert.Equal(-1, (await Run(9_000)).Offset);
        var max = await Run(-3);
        Assert.Equal(5_000, max.Timestamp);
        Assert.Equal(2, max.Offset); // the batch's first record with that timestamp, as Kafka (KAFKA-16310)

        var unknown = await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, 5, List("none", -1));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task ListOffsets_max_timestamp_is_the_record_with_the_largest_timestamp_also_after_a_restart()
    {
        await using var broker = await TestBroker.StartAsync();
        var conn = broker.Connect();
        try
        {
            await Batches.CreateTopicAsync(conn, "maxts");
            byte[] batch;
            using (var builder = new RecordBatchBuilder())
            {
                builder.Add(100, "a"u8.ToArray(), "1"u8.ToArray());
                builder.Add(400, "b"u8.ToArray(), "2"u8.ToArray());
                builder.Add(250, "c"u8.ToArray(), "3"u8.ToArray());
                batch = builder.ToArray();
            }

            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("maxts", 0, batch));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);

            async Task<(long Timestamp, long Offset)> MaxTimestamp()
            {
                var response = await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, 7, List("maxts", -3));
                var p = response.Topics[0].Partitions[0];
                Assert.Equal(0, p.ErrorCode);
                return (p.Timestamp, p.Offset);
            }

            Assert.Equal((400L, 1L), await MaxTimestamp());
            conn.Dispose();
            await broker.RestartAsync();
            conn = broker.Connect();
            Assert.Equal((400L, 1L), await MaxTimestamp());
        }
        finally
        {
            conn.Dispose();
        }
    }

    [Fact]
    public async Task Fetch_errors_offset_out_of_range_and_unknown_topic_id()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "oor");
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("oor", 0, 10));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, fetch.Responses[0].Partitions[0].ErrorCode);
        var byId = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 13, Batches.Fetch("", 0, 0, topicId: Guid.NewGuid()));
        Assert.Equal((short)ErrorCode.UnknownTopicId, byId.Responses[0].Partitions[0].ErrorCode);
        var unknown = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("nope", 0, 0, maxWaitMs: 5000));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task DeleteRecords_moves_the_log_start_offset()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "dr");
        for (var i = 0; i < 3; i++)
            await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("dr", 0, Batches.Build(2)));
        var r = await conn.RequestAsync<DeleteRecordsRequest, DeleteRecordsResponse>(ApiKey.DeleteRecords, 2,
            new DeleteRecordsRequest { Topics = [new() { Name = "dr", Partitions = [new() { PartitionIndex = 0, Offset = 4 }] }], TimeoutMs = 1000 });
        Assert.Equal(0, r.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(4, r.Topics[0].Partitions[0].LowWatermark);
        var earliest = await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, 7, List("dr", -2));
        Assert.Equal(4, earliest.Topics[0].Partitions[0].Offset);
        var tooFar = await conn.RequestAsync<DeleteRecordsRequest, DeleteRecordsResponse>(ApiKey.DeleteRecords, 0,
            new DeleteRecordsRequest { Topics = [new() { Name = "dr", Partitions = [new() { PartitionIndex = 0, Offset = 100 }] }] });
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, tooFar.Topics[0].Partitions[0].ErrorCode);
        var old = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("dr", 0, 0));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, old.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task OffsetForLeaderEpoch_returns_the_epoch_end()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "ofle");
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("ofle", 0, Batches.Build(3)));
        for (short v = 0; v <= 4; v++)
        {
            var r = await conn.RequestAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, v, new OffsetForLeaderEpochRequest
            {
                ReplicaId = -1,
                Topics = [new() { Topic = "ofle", Partitions = [new() { Partition = 0, LeaderEpoch = 0, CurrentLeaderEpoch = 0 }, new() { Partition = 9 }] }],
            });
            var p = r.Topics[0].Partitions[0];
            Assert.Equal(0, p.ErrorCode);
            Assert.Equal(3, p.EndOffset);
            if (v >= 1)
                Assert.Equal(0, p.LeaderEpoch);
            Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, r.Topics[0].Partitions[1].ErrorCode);
        }
    }

    [Fact]
    public async Task InitProducerId_allocates_unique_ids_across_restarts_and_bumps_epochs()
    {
        await using var broker = await TestBroker.StartAsync();
        var ids = new HashSet<long>();
        using (var conn = broker.Connect())
        {
            for (short v = 0; v <= 5; v++)
            {
                var r = await conn.RequestAsync<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, v, new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 });
                Assert.Equal(0, r.ErrorCode);
                Assert.True(ids.Add(r.ProducerId));
                Assert.Equal(0, r.ProducerEpoch);
            }
            var bump = await conn.RequestAsync<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, 4, new InitProducerIdRequest { ProducerId = 3, ProducerEpoch = 0 });
            Assert.Equal(3, bump.ProducerId);
            Assert.Equal(1, bump.ProducerEpoch);
        }
        await broker.RestartAsync();
        using var again = broker.Connect();
        var after = await again.RequestAsync<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, 4, new InitProducerIdRequest());
        Assert.DoesNotContain(after.ProducerId, ids);
    }
}
