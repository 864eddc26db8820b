using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using Topic = KafkaOperator.Protocol.Messages.DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>DescribeTopicPartitions against one in-process broker: Kafka's order, pagination and errors.</summary>
public sealed class DescribeTopicPartitionsTests
{
    private static async Task CreateAsync(RawConnection conn, params (string Name, int Partitions)[] topics)
    {
        var response = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            Topics = [.. topics.Select(t => new CreateTopicsRequest.CreatableTopic { Name = t.Name, NumPartitions = t.Partitions, ReplicationFactor = 1 })],
        });
        Assert.All(response.Topics, t => Assert.Equal(0, t.ErrorCode));
    }

    private static Task<DescribeTopicPartitionsResponse> DescribeAsync(RawConnection conn, string[] topics, int limit = 2000, DescribeTopicPartitionsCursor? cursor = null) =>
        conn.RequestAsync<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, new DescribeTopicPartitionsRequest
        {
            Topics = [.. topics.Select(t => new DescribeTopicPartitionsRequest.TopicRequest { Name = t })],
            ResponsePartitionLimit = limit,
            Cursor = cursor,
        });

    private static string Page(DescribeTopicPartitionsResponse response) =>
        string.Join(" ", response.Topics.Select(t => $"{t.Name}:[{string.Join(",", t.Partitions.Select(p => p.PartitionIndex))}]"))
        + (response.NextCursor is { } next ? $" next={next.TopicName}/{next.PartitionIndex}" : "");

    [Fact]
    public async Task Topics_come_in_name_order_and_the_cursor_resumes_where_the_limit_stopped()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await CreateAsync(conn, ("dtp-b", 2), ("dtp-a", 3), ("dtp-c", 1));
        string[] named = ["dtp-c", "dtp-a", "dtp-b", "dtp-a"];

        var first = await DescribeAsync(conn, named, limit: 4);
        Assert.Equal("dtp-a:[0,1,2] dtp-b:[0] next=dtp-b/1", Page(first));
        var second = await DescribeAsync(conn, named, limit: 4, cursor: first.NextCursor);
        Assert.Equal("dtp-b:[1] dtp-c:[0]", Page(second));

        // A limit that ends exactly with a topic points the cursor at the start of the next one.
        var exact = await DescribeAsync(conn, named, limit: 3);
        Assert.Equal("dtp-a:[0,1,2] next=dtp-b/0", Page(exact));
        Assert.Equal("dtp-b:[0,1] dtp-c:[0]", Page(await DescribeAsync(conn, named, cursor: exact.NextCursor)));

        // What a single node reports for every partition, with the id Metadata reports.
        var metadata = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = null });
        foreach (var topic in second.Topics.Concat(first.Topics))
        {
            Assert.Equal(0, topic.ErrorCode);
            Assert.Equal(metadata.Topics.Single(t => t.Name == topic.Name).TopicId, topic.TopicId);
            Assert.False(topic.IsInternal);
            foreach (var p in topic.Partitions)
            {
                Assert.Equal((0, 0, 0), (p.ErrorCode, p.LeaderId, p.LeaderEpoch));
                Assert.Equal([0], p.ReplicaNodes);
                Assert.Equal([0], p.IsrNodes);
                Assert.Empty(p.OfflineReplicas);
                Assert.Equal([], p.EligibleLeaderReplicas!);
                Assert.Equal([], p.LastKnownElr!);
            }
        }
    }

    [Fact]
    public async Task No_named_topics_describes_every_topic_from_the_cursor_on()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await CreateAsync(conn, ("all-x", 1), ("all-y", 2), ("all-z", 1));

        Assert.Equal("all-x:[0] all-y:[0,1] all-z:[0]", Page(await DescribeAsync(conn, [])));
        Assert.Equal("all-y:[1] all-z:[0]", Page(await DescribeAsync(conn, [], cursor: new() { TopicName = "all-y", PartitionIndex = 1 })));
        // The cursor need not name a topic that exists when none are named: the topics after it follow.
        Assert.Equal("all-y:[0] next=all-y/1", Page(await DescribeAsync(conn, [], limit: 1, cursor: new() { TopicName = "all-xx", PartitionIndex = 5 })));
    }

    [Fact]
    public async Task Unknown_and_invalid_names_are_per_topic_errors_and_a_cursor_outside_the_list_is_refused()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await CreateAsync(conn, ("known", 1));

        var response = await DescribeAsync(conn, ["known", "missing", "bad/name"]);
        Topic Named(string name) => response.Topics.Single(t => t.Name == name);
        Assert.Equal(0, Named("known").ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Named("missing").ErrorCode);
        Assert.Empty(Named("missing").Partitions);
        Assert.Equal((short)ErrorCode.InvalidTopicException, Named("bad/name").ErrorCode);
        Assert.Null(response.NextCursor);
        Assert.Null(broker.Host.Metadata.Image.Topic("missing"));

        var refused = await DescribeAsync(conn, ["known", "missing"], cursor: new() { TopicName = "other", PartitionIndex = 0 });
        Assert.Equal(["known", "missing"], refused.Topics.Select(t => t.Name));
        Assert.All(refused.Topics, t => Assert.Equal((short)ErrorCode.InvalidRequest, t.ErrorCode));
    }

    [Fact]
    public async Task The_broker_limit_caps_the_client_limit()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["max.request.partition.size.limit"] = "2" });
        using var conn = broker.Connect();
        await CreateAsync(conn, ("capped", 3));

        Assert.Equal("capped:[0,1] next=capped/2", Page(await DescribeAsync(conn, ["capped"], limit: 100)));
        Assert.Equal("capped:[2]", Page(await DescribeAsync(conn, ["capped"], limit: 100, cursor: new() { TopicName = "capped", PartitionIndex = 2 })));
    }

    [Fact]
    public async Task The_api_is_advertised_and_an_offline_log_is_reported_as_Metadata_reports_it()
    {
        await using var broker = await TestBroker.StartAsync();
        using (var conn = broker.Connect())
        {
            var versions = await conn.RequestAsync<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest());
            var api = versions.ApiKeys.Single(k => k.ApiKey == (short)ApiKey.DescribeTopicPartitions);
            Assert.Equal((0, 0), (api.MinVersion, api.MaxVersion));
            await CreateAsync(conn, ("broken", 1), ("fine", 1));
        }

        await broker.Host.StopAsync();
        File.Delete(Directory.GetFiles(Path.Combine(broker.Dir, "broken-0"), "*.log").Single());
        await broker.RestartAsync();

        using var again = broker.Connect();
        var described = await DescribeAsync(again, ["broken", "fine"]);
        var metadata = await again.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
            new MetadataRequest { Topics = [new() { Name = "broken" }, new() { Name = "fine" }] });
        foreach (var name in new[] { "broken", "fine" })
        {
            var p = described.Topics.Single(t => t.Name == name).Partitions.Single();
            var m = metadata.Topics.Single(t => t.Name == name).Partitions.Single();
            Assert.Equal((m.LeaderId, m.LeaderEpoch), (p.LeaderId, p.LeaderEpoch));
            Assert.Equal(m.ReplicaNodes, p.ReplicaNodes);
            Assert.Equal(m.IsrNodes, p.IsrNodes);
            Assert.Equal(m.OfflineReplicas, p.OfflineReplicas);
        }
        var broken = described.Topics.Single(t => t.Name == "broken").Partitions.Single();
        Assert.Equal(-1, broken.LeaderId);
        Assert.Equal([0], broken.ReplicaNodes);
        Assert.Empty(broken.IsrNodes);
        Assert.Equal([0], broken.OfflineReplicas);
    }
}
