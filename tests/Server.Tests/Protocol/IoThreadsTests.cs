using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Network;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>Which requests may be handled on a socket I/O thread (a thread outside the pool).</summary>
public sealed class IoThreadsTests
{
    [Fact]
    public async Task Produce_leaves_the_io_thread_once_a_partition_flushes_on_append()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["log.flush.interval.messages"] = "1" });
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "flushing");
        var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("flushing", 0, Batches.Build(1)));
        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);

        Assert.True(Partition.AnyFlushesOnAppend);
        Assert.True(OnIoThread(ApiKey.Produce));
    }

    [Fact]
    public void Fetch_stays_and_admin_and_group_requests_leave()
    {
        Assert.False(OnIoThread(ApiKey.Fetch));
        Assert.False(OnIoThread(ApiKey.ApiVersions));
        Assert.True(OnIoThread(ApiKey.CreateTopics));
        Assert.True(OnIoThread(ApiKey.JoinGroup));
        Assert.True(OnIoThread(ApiKey.OffsetCommit));
        Assert.True(OnIoThread(ApiKey.Metadata));
    }

    [Fact]
    public async Task A_thread_pool_thread_never_leaves()
    {
        var frame = Frame(ApiKey.CreateTopics);
        var leaves = await Task.Run(() => IoThreads.MustLeave(frame));
        Assert.False(leaves);
    }

    // MustLeave as the read loop asks it on an I/O thread: any thread that is not a pool worker.
    private static bool OnIoThread(ApiKey key)
    {
        var frame = Frame(key);
        var result = false;
        var thread = new Thread(() => result = IoThreads.MustLeave(frame));
        thread.Start();
        thread.Join();
        return result;
    }

    private static byte[] Frame(ApiKey key)
    {
        var frame = new byte[8];
        BinaryPrimitives.WriteInt16BigEndian(frame, (short)key);
        return frame;
    }
}
