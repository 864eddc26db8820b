using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class FlushTests
{
    [Fact]
    public async Task Flush_messages_one_makes_the_ack_wait_for_the_fsync()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["log.flush.interval.messages"] = "1" });
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "durable");
        var log = broker.Host.Services.Replicas.Get("durable", 0)!.Log;

        for (var i = 0; i < 5; i++)
        {
            var response = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("durable", 0, Batches.Build(3)));
            Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
            // The recovery point only advances after an fsync, so it covers everything acknowledged so far.
            Assert.Equal((i + 1) * 3, log.RecoveryPoint);
        }
    }

    [Fact]
    public async Task Default_flush_policy_acknowledges_before_any_fsync()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "paged");
        var log = broker.Host.Services.Replicas.Get("paged", 0)!.Log;
        var response = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("paged", 0, Batches.Build(3)));
        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(0, log.RecoveryPoint);
    }
}
