using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>
/// Fetch responses go out as framing bytes with file ranges sent by sendfile between them. These check that the
/// pieces land in order, for several partitions in one response and between pipelined responses of other kinds.
/// </summary>
public sealed class FetchSpliceTests
{
    [Fact]
    public async Task Multi_partition_fetches_pipelined_with_other_requests_arrive_whole_and_in_order()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 5,
            new CreateTopicsRequest { Topics = [new() { Name = "splice", NumPartitions = 3, ReplicationFactor = 1 }] });
        Assert.Equal(0, created.Topics[0].ErrorCode);

        var p0 = Batches.Build(4, "zero");
        var p2a = Batches.Build(3, "two-a");
        var p2b = Batches.Build(5, "two-b");
        foreach (var (partition, batch) in new[] { (0, p0), (2, p2a), (2, p2b) })
        {
            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("splice", partition, batch));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        }

        // Partition 1 is empty and partition 7 does not exist: their entries are framing only, between two ranges.
        // v11 has classic framing, v12 compact (flexible) framing.
        var fetch = new FetchRequest
        {
            MaxWaitMs = 0,
            MinBytes = 1,
            MaxBytes = 1024 * 1024,
            SessionEpoch = -1,
            Topics =
            [
                new()
                {
                    Topic = "splice",
                    Partitions = [.. new[] { 0, 1, 7, 2 }.Select(p => new FetchRequest.FetchPartition { Partition = p, FetchOffset = 0, PartitionMaxBytes = 1024 * 1024 })],
                },
            ],
        };
        var ids = new List<(ApiKey Key, short Version, int Id)>();
        for (var round = 0; round < 3; round++)
        {
            ids.Add((ApiKey.Fetch, 11, await conn.SendAsync(ApiKey.Fetch, 11, fetch)));
            ids.Add((ApiKey.ApiVersions, 3, await conn.SendAsync(ApiKey.ApiVersions, 3, new ApiVersionsRequest { ClientSoftwareName = "t", ClientSoftwareVersion = "1" })));
            ids.Add((ApiKey.Fetch, 12, await conn.SendAsync(ApiKey.Fetch, 12, fetch)));
        }

        foreach (var (key, version, id) in ids)
        {
            if (key == ApiKey.ApiVersions)
            {
                var versions = await conn.ReceiveAsync<ApiVersionsResponse>(key, version, id);
                Assert.Equal(0, versions.ErrorCode);
                continue;
            }

            var response = await conn.ReceiveAsync<FetchResponse>(key, version, id);
            var parts = response.Responses[0].Partitions;
            Assert.Equal([0, 1, 7, 2], parts.Select(p => p.PartitionIndex));
            Assert.Equal([0, 0, (short)ErrorCode.UnknownTopicOrPartition, 0], parts.Select(p => p.ErrorCode));
            Assert.Equal(Batches.AsStored(p0, 0), Bytes(parts[0].Records));
            Assert.Empty(Bytes(parts[1].Records));
            Assert.Equal([.. Batches.AsStored(p2a, 0), .. Batches.AsStored(p2b, 3)], Bytes(parts[3].Records));
            Assert.Equal(8, parts[3].HighWatermark);
        }
    }

    private static byte[] Bytes(RecordSet? set) => set is MemoryRecordSet m ? m.Bytes.ToArray() : [];
}
