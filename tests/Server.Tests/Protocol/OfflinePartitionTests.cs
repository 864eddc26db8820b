using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>A partition whose log failed to load can still be deleted, and its name reused for a fresh topic.</summary>
public sealed class OfflinePartitionTests
{
    [Fact]
    public async Task Deleting_an_offline_topic_forgets_it_and_the_name_can_be_reused()
    {
        await using var broker = await TestBroker.StartAsync();
        using (var conn = broker.Connect())
        {
            await Batches.CreateTopicAsync(conn, "offline");
            var produced = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("offline", 0, Batches.Build(3)));
            Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        }

        await broker.Host.StopAsync();
        var dir = Path.Combine(broker.Dir, "offline-0");
        File.Delete(Directory.GetFiles(dir, "*.log").Single());
        await broker.RestartAsync();

        using var again = broker.Connect();
        Assert.True(broker.Host.Services.Replicas.IsOffline("offline", 0));
        var fetch = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("offline", 0, 0));
        Assert.Equal((short)ErrorCode.KafkaStorageError, fetch.Responses[0].Partitions[0].ErrorCode);

        var deleted = await again.RequestAsync<DeleteTopicsRequest, DeleteTopicsResponse>(ApiKey.DeleteTopics, 6,
            new DeleteTopicsRequest { TimeoutMs = 5000, Topics = [new() { Name = "offline" }] });
        Assert.Equal(0, deleted.Responses[0].ErrorCode);
        Assert.False(broker.Host.Services.Replicas.IsOffline("offline", 0));
        Assert.False(Directory.Exists(dir));

        await Batches.CreateTopicAsync(again, "offline");
        var fresh = await again.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("offline", 0, Batches.Build(1)));
        Assert.Equal(0, fresh.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(0, fresh.Responses[0].PartitionResponses[0].BaseOffset);
    }
}
