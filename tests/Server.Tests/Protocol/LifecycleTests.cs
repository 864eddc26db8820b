using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Restart_on_the_same_data_keeps_topics_configs_and_records()
    {
        await using var broker = await TestBroker.StartAsync();
        var batch = Batches.Build(5, "persist");
        Guid topicId;
        using (var conn = broker.Connect())
        {
            var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
            {
                Topics = [new() { Name = "keep", NumPartitions = 2, ReplicationFactor = 1, Configs = [new() { Name = "retention.ms", Value = "99999" }] }],
            });
            topicId = created.Topics[0].TopicId;
            await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("keep", 1, (byte[])batch.Clone()));
        }
        var clusterId = broker.Host.ClusterId;
        await broker.RestartAsync();
        Assert.Equal(clusterId, broker.Host.ClusterId);
        using var again = broker.Connect();
        var md = await again.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = null });
        var topic = Assert.Single(md.Topics);
        Assert.Equal(topicId, topic.TopicId);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.Equal("99999", broker.Host.Metadata.Image.Topic("keep")!.Configs["retention.ms"]);
        var fetch = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("keep", 1, 0));
        Assert.Equal(5, fetch.Responses[0].Partitions[0].HighWatermark);
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));
        var next = await again.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("keep", 1, Batches.Build(1)));
        Assert.Equal(5, next.Responses[0].PartitionResponses[0].BaseOffset);
    }

    [Fact]
    public async Task Graceful_stop_writes_checkpoints_and_meta_properties()
    {
        var dir = TestBroker.NewDir();
        try
        {
            var broker = await TestBroker.StartAsync(dir, ownsDir: false);
            using (var conn = broker.Connect())
            {
                await Batches.CreateTopicAsync(conn, "ck");
                await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("ck", 0, Batches.Build(3)));
            }
            await broker.DisposeAsync();
            Assert.True(File.Exists(Path.Combine(dir, "meta.properties")));
            Assert.Contains("node.id=0", File.ReadAllText(Path.Combine(dir, "meta.properties")), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, ".kafka_cleanshutdown")));
            var recovery = File.ReadAllLines(Path.Combine(dir, "recovery-point-offset-checkpoint"));
            Assert.Contains("ck 0 3", recovery);
            var hw = File.ReadAllLines(Path.Combine(dir, "replication-offset-checkpoint"));
            Assert.Contains("ck 0 3", hw);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Stop_answers_a_pending_long_poll()
    {
        var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await Batches.CreateTopicAsync(conn, "stop");
        var id = await conn.SendAsync(ApiKey.Fetch, 12, Batches.Fetch("stop", 0, 0, maxWaitMs: 30_000));
        var pending = conn.ReceiveAsync<FetchResponse>(ApiKey.Fetch, 12, id);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (broker.Host.InFlightRequests == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        Assert.Equal(1, broker.Host.InFlightRequests);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await broker.DisposeAsync();
        var response = await pending;
        Assert.Equal(0, response.Responses[0].Partitions[0].ErrorCode);
        Assert.True(clock.ElapsedMilliseconds < 10_000);
    }

    [Fact]
    public async Task Stop_answers_a_pending_join_group()
    {
        var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0" });
        using var a = broker.Connect();
        using var b = broker.Connect();
        JoinGroupRequest Join(string member) => new()
        {
            GroupId = "stopping",
            SessionTimeoutMs = 30_000,
            RebalanceTimeoutMs = 60_000,
            MemberId = member,
            ProtocolType = "consumer",
            Protocols = [new() { Name = "range", Metadata = [1] }],
        };
        Assert.Equal(0, (await Groups.GroupWire.FindAsync(a, "stopping")).ErrorCode);
        var joinA = await a.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 3, Join(""));
        Assert.Equal(0, joinA.ErrorCode);
        var id = await b.SendAsync(ApiKey.JoinGroup, 3, Join(""));
        var pending = b.ReceiveAsync<JoinGroupResponse>(ApiKey.JoinGroup, 3, id);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (broker.Host.InFlightRequests == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await broker.DisposeAsync();
        // The coordinator gives up its groups: the waiting member is told to find the coordinator again.
        Assert.Equal((short)ErrorCode.NotCoordinator, (await pending).ErrorCode);
        Assert.True(clock.ElapsedMilliseconds < 4_000, $"stop took {clock.ElapsedMilliseconds} ms");
    }
}
