using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

[Collection(SerialCollection.Name)]
public sealed class AllocationTests
{
    [Fact]
    public async Task Produce_and_fetch_do_not_allocate_per_record()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "alloc");
        const int Requests = 200;
        const int RecordsPerBatch = 500;
        var frames = new byte[Requests][];
        for (var i = 0; i < Requests; i++)
            frames[i] = RawConnection.EncodeRequest(ApiKey.Produce, 9, 1000 + i, Batches.Produce("alloc", 0, Batches.Build(RecordsPerBatch), acks: 1));
        // Warm up the code paths (JIT, pools) before measuring.
        await conn.SendRawAsync(RawConnection.EncodeRequest(ApiKey.Produce, 9, 1, Batches.Produce("alloc", 0, Batches.Build(RecordsPerBatch), acks: 1)));
        await conn.ReadFrameAsync();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        foreach (var frame in frames)
        {
            await conn.SendRawAsync(frame);
            Assert.NotNull(await conn.ReadFrameAsync());
        }
        var perRecord = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / (Requests * RecordsPerBatch);
        Assert.True(perRecord < 32, $"produce allocated {perRecord:F1} bytes per record");

        var fetch = RawConnection.EncodeRequest(ApiKey.Fetch, 12, 5, Batches.Fetch("alloc", 0, 0));
        await conn.SendRawAsync(fetch);
        await conn.ReadFrameAsync();
        before = GC.GetTotalAllocatedBytes(precise: true);
        long fetched = 0;
        for (var i = 0; i < 20; i++)
        {
            await conn.SendRawAsync(fetch);
            fetched += (await conn.ReadFrameAsync())!.Length;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // About 100k records per fetch: any per-record allocation would add megabytes per fetch.
        Assert.True(allocated - fetched < 1_000_000, $"fetch allocated {allocated - fetched} bytes beyond the frames read");
    }
}
