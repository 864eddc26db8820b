using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// KAFKA_STORAGE_ERROR (56) from a real broker process: a read of a segment file that is gone or unreadable, and a
/// roll that cannot create the next segment file, fail for that partition and that request only; a partition whose
/// log cannot be loaded at start-up is offline (56 for every request, no leader in Metadata) without losing its
/// data. The broker keeps serving the other partitions, the same connection and new ones.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class StorageErrorTests(ITestOutputHelper output)
{
    private const short FetchVersion = 12;
    private const short ProduceVersion = 9;
    private const int OldBatches = 16;
    private const long OldEnd = OldBatches * 20;

    [Fact]
    public async Task Unreadable_old_segments_answer_KAFKA_STORAGE_ERROR_and_everything_else_is_served()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        using (var setup = RawConnection.Open(broker.Port))
        {
            await CreateAsync(setup, "broken", segmentBytes: 1024);
            await CreateAsync(setup, "healthy", segmentBytes: null);
            // Two days old: older than producer.id.expiration.ms (1 day), so the restarted broker rebuilds its
            // producer state without opening these segments; their files are opened on the first read only.
            var old = DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds();
            for (var i = 0; i < OldBatches; i++)
                Assert.Equal(0, (await ProduceAsync(setup, "broken", Batches.Build(20, prefix: "old", timestamp: old + i))).ErrorCode);
            Assert.Equal(0, (await ProduceAsync(setup, "healthy", Batches.Build(5))).ErrorCode);
        }

        Assert.Equal(0, await broker.StopAsync());
        var dir = Path.Combine(broker.DataDir, "broken-0");
        var segments = Directory.GetFiles(dir, "*.log").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.True(segments.Count >= 4, $"expected several segments, got {segments.Count}");
        await broker.RestartAsync();

        // While the broker runs: the first segment's file becomes a directory (EISDIR on open), the second is gone.
        var first = SegmentPath(dir, segments[0]);
        File.Delete(first);
        Directory.CreateDirectory(first);
        File.Delete(SegmentPath(dir, segments[1]));

        using var conn = RawConnection.Open(broker.Port);
        var fetch0 = await FetchAsync(conn, "broken", 0);
        Assert.Equal((short)ErrorCode.KafkaStorageError, fetch0.ErrorCode);
        Assert.Equal((short)ErrorCode.KafkaStorageError, (await FetchAsync(conn, "broken", segments[1])).ErrorCode);
        var earliestByTime = await ListOffsetAsync(conn, "broken", DateTimeOffset.UtcNow.AddDays(-3).ToUnixTimeMilliseconds());
        Assert.Equal((short)ErrorCode.KafkaStorageError, earliestByTime.ErrorCode);

        // The same connection goes on: later segments of the same partition, the log end, another partition.
        var later = await FetchAsync(conn, "broken", segments[2]);
        Assert.Equal(0, later.ErrorCode);
        Assert.Equal(segments[2], RecordBatchHeader.Read(Bytes(later)).BaseOffset);
        var latest = await ListOffsetAsync(conn, "broken", -1);
        Assert.Equal(0, latest.ErrorCode);
        Assert.Equal(OldEnd, latest.Offset);
        var healthy = await FetchAsync(conn, "healthy", 0);
        Assert.Equal(0, healthy.ErrorCode);
        Assert.Equal(5, RecordBatchHeader.Read(Bytes(healthy)).RecordCount);
        var appended = await ProduceAsync(conn, "broken", Batches.Build(1));
        Assert.Equal(0, appended.ErrorCode);
        Assert.Equal(OldEnd, appended.BaseOffset);

        using var other = RawConnection.Open(broker.Port);
        Assert.Equal(0, (await ProduceAsync(other, "healthy", Batches.Build(1))).ErrorCode);
        Assert.Equal((short)ErrorCode.KafkaStorageError, (await FetchAsync(other, "broken", 0)).ErrorCode);

        Assert.True(broker.IsRunning);
        Assert.Contains("fetch from broken-0 failed", broker.Log, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(first), broker.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_roll_that_cannot_create_the_next_segment_is_KAFKA_STORAGE_ERROR_until_the_cause_is_gone()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        using var conn = RawConnection.Open(broker.Port);
        await CreateAsync(conn, "rolling", segmentBytes: 1024);
        await CreateAsync(conn, "healthy", segmentBytes: null);
        Assert.Equal(0, (await ProduceAsync(conn, "rolling", Batches.Build(10))).ErrorCode);

        // The next segment's file name is taken by a directory: creating it fails as a full or failing disk would.
        var blocked = SegmentPath(Path.Combine(broker.DataDir, "rolling-0"), 10);
        Directory.CreateDirectory(blocked);
        var big = Batches.Build(20, prefix: new string('x', 60));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var failed = await ProduceAsync(conn, "rolling", (byte[])big.Clone());
            Assert.Equal((short)ErrorCode.KafkaStorageError, failed.ErrorCode);
            Assert.Contains(Path.GetFileName(blocked), failed.ErrorMessage, StringComparison.Ordinal);
        }

        // Nothing was published by the failed appends; other partitions and reads were never affected.
        Assert.Equal(0, (await ProduceAsync(conn, "healthy", Batches.Build(1))).ErrorCode);
        var before = await FetchAsync(conn, "rolling", 0);
        Assert.Equal(0, before.ErrorCode);
        Assert.Equal(10, before.HighWatermark);

        Directory.Delete(blocked);
        var retried = await ProduceAsync(conn, "rolling", (byte[])big.Clone());
        Assert.Equal(0, retried.ErrorCode);
        Assert.Equal(10, retried.BaseOffset);
        var after = await FetchAsync(conn, "rolling", 10);
        Assert.Equal(0, after.ErrorCode);
        Assert.Equal(30, after.HighWatermark);
        Assert.True(File.Exists(blocked));
        Assert.True(broker.IsRunning);
        Assert.Contains("append to rolling-0 failed", broker.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_segment_missing_after_a_clean_shutdown_takes_only_its_partition_offline_and_loses_nothing()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        using (var setup = RawConnection.Open(broker.Port))
        {
            await CreateAsync(setup, "lost", segmentBytes: 1024);
            await CreateAsync(setup, "healthy", segmentBytes: null);
            for (var i = 0; i < OldBatches; i++)
                Assert.Equal(0, (await ProduceAsync(setup, "lost", Batches.Build(20))).ErrorCode);
            Assert.Equal(0, (await ProduceAsync(setup, "healthy", Batches.Build(5))).ErrorCode);
        }

        Assert.Equal(0, await broker.StopAsync());
        // The first segment's file is replaced by a directory, as a failed mount or a bad restore would leave it.
        var first = SegmentPath(Path.Combine(broker.DataDir, "lost-0"), 0);
        var aside = Path.Combine(broker.DataDir, "segment-0.saved");
        File.Move(first, aside);
        Directory.CreateDirectory(first);
        await broker.RestartAsync();

        using (var conn = RawConnection.Open(broker.Port))
        {
            Assert.Equal((short)ErrorCode.KafkaStorageError, (await FetchAsync(conn, "lost", 0)).ErrorCode);
            Assert.Equal((short)ErrorCode.KafkaStorageError, (await ProduceAsync(conn, "lost", Batches.Build(1))).ErrorCode);
            Assert.Equal((short)ErrorCode.KafkaStorageError, (await ListOffsetAsync(conn, "lost", -1)).ErrorCode);
            var metadata = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
                new MetadataRequest { Topics = [new() { Name = "lost" }, new() { Name = "healthy" }] });
            var lost = Assert.Single(metadata.Topics.Single(t => t.Name == "lost").Partitions);
            Assert.Equal((short)ErrorCode.LeaderNotAvailable, lost.ErrorCode);
            Assert.Equal(-1, lost.LeaderId);
            Assert.Equal([0], lost.OfflineReplicas);
            var healthyMeta = Assert.Single(metadata.Topics.Single(t => t.Name == "healthy").Partitions);
            Assert.Equal(0, healthyMeta.ErrorCode);
            Assert.Equal(0, healthyMeta.LeaderId);

            var healthy = await FetchAsync(conn, "healthy", 0);
            Assert.Equal(0, healthy.ErrorCode);
            Assert.Equal(5, healthy.HighWatermark);
            Assert.Equal(0, (await ProduceAsync(conn, "healthy", Batches.Build(1))).ErrorCode);
        }

        Assert.Contains("partition lost-0 is offline", broker.Log, StringComparison.Ordinal);
        Assert.Contains("00000000000000000000.log is missing after a clean shutdown", broker.Log, StringComparison.Ordinal);

        // The operator restores the file: after a restart every record is there again.
        Assert.Equal(0, await broker.StopAsync());
        Directory.Delete(first);
        File.Move(aside, first);
        await broker.RestartAsync();
        using var after = RawConnection.Open(broker.Port);
        var restored = await FetchAsync(after, "lost", 0);
        Assert.Equal(0, restored.ErrorCode);
        Assert.Equal(OldEnd, restored.HighWatermark);
        Assert.Equal(0, RecordBatchHeader.Read(Bytes(restored)).BaseOffset);
        var appended = await ProduceAsync(after, "lost", Batches.Build(1));
        Assert.Equal(0, appended.ErrorCode);
        Assert.Equal(OldEnd, appended.BaseOffset);
    }

    private static string SegmentPath(string dir, long baseOffset) =>
        Path.Combine(dir, baseOffset.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".log");

    private static async Task CreateAsync(RawConnection conn, string topic, int? segmentBytes)
    {
        var create = new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = 1, ReplicationFactor = 1 };
        if (segmentBytes is { } bytes)
            create.Configs.Add(new() { Name = "segment.bytes", Value = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var response = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest { Topics = [create] });
        Assert.Equal(0, response.Topics[0].ErrorCode);
    }

    private static async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(RawConnection conn, string topic, byte[] batch) =>
        (await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, ProduceVersion, Batches.Produce(topic, 0, batch, acks: 1)))
            .Responses[0].PartitionResponses[0];

    private static async Task<FetchResponse.PartitionData> FetchAsync(RawConnection conn, string topic, long offset) =>
        (await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, FetchVersion, Batches.Fetch(topic, 0, offset))).Responses[0].Partitions[0];

    private static async Task<ListOffsetsResponse.ListOffsetsPartitionResponse> ListOffsetAsync(RawConnection conn, string topic, long timestamp) =>
        (await conn.RequestAsync<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, 7, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new() { Name = topic, Partitions = [new() { PartitionIndex = 0, Timestamp = timestamp }] }],
        })).Topics[0].Partitions[0];

    private static byte[] Bytes(FetchResponse.PartitionData data) => data.Records is MemoryRecordSet m ? m.Bytes.ToArray() : [];
}
