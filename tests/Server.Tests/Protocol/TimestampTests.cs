using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class TimestampTests
{
    private const long OldTimestamp = 1_700_000_000_000; // November 2023: far past the default 7-day retention

    /// <summary>
    /// A batch whose header claims a maxTimestamp below its newest record, as kafkajs 2.2.4 writes when a send mixes
    /// explicit timestamps with records it stamps itself (its header takes the largest explicit one only).
    /// </summary>
    private static byte[] UnderstatedBatch(long newest)
    {
        using var builder = new RecordBatchBuilder { MaxTimestampOverride = OldTimestamp };
        builder.Add(OldTimestamp, Encoding.UTF8.GetBytes("k0"), Encoding.UTF8.GetBytes("explicit"));
        builder.Add(newest, Encoding.UTF8.GetBytes("k1"), Encoding.UTF8.GetBytes("client-stamped"));
        return builder.ToArray();
    }

    private static async Task<ListOffsetsResponse.ListOffsetsPartitionResponse> ListAsync(RawConnection conn, string topic, long timestamp) =>
        (await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, 8, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, Timestamp = timestamp }] }],
        })).Topics[0].Partitions[0];

    [Fact]
    public async Task Stored_max_timestamp_is_the_newest_record_so_time_retention_keeps_fresh_records()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "fresh");
        await Batches.CreateTopicAsync(conn, "stale");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("fresh", 0, UnderstatedBatch(now)));
        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("stale", 0, Batches.Build(2, timestamp: OldTimestamp)));

        // The broker rewrites the header (and its CRC) as Kafka's LogValidator does.
        var stored = Batches.RecordBytes(await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("fresh", 0, 0)));
        var header = RecordBatchHeader.Read(stored);
        Assert.Equal(now, header.MaxTimestamp);
        Assert.True(RecordBatchHeader.CrcMatches(stored.AsSpan(0, header.TotalSize)));
        var max = await ListAsync(conn, "fresh", -3);
        Assert.Equal(now, max.Timestamp);
        Assert.Equal(1, max.Offset);

        // Time retention (retention.ms 7 days) removes the all-old batch but keeps the one with a fresh record.
        broker.Host.Services.Replicas.Logs.RunRetention();
        Assert.Equal(2, (await ListAsync(conn, "stale", -2)).Offset);
        Assert.Equal(0, (await ListAsync(conn, "fresh", -2)).Offset);
        var again = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("fresh", 0, 0));
        Assert.Equal(0, again.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal(stored, Batches.RecordBytes(again));
    }
}
