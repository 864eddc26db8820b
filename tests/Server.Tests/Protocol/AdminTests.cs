using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class AdminTests
{
    private static CreateTopicsRequest Create(string name, int partitions = 1, short rf = 1, bool validateOnly = false, params (string Key, string? Value)[] configs) => new()
    {
        ValidateOnly = validateOnly,
        Topics = [new() { Name = name, NumPartitions = partitions, ReplicationFactor = rf, Configs = [.. configs.Select(c => new CreateTopicsRequest.CreateableTopicConfig { Name = c.Key, Value = c.Value })] }],
    };

    [Fact]
    public async Task CreateTopics_reports_each_error_code()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        async Task<CreateTopicsResponse.CreatableTopicResult> Run(CreateTopicsRequest r, short v = 7) =>
            (await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, v, r)).Topics[0];

        var ok = await Run(Create("good", 3, configs: ("retention.ms", "1234")));
        Assert.Equal(0, ok.ErrorCode);
        Assert.NotEqual(Guid.Empty, ok.TopicId);
        Assert.Equal(3, ok.NumPartitions);
        Assert.Equal(1, ok.ReplicationFactor);
        Assert.Contains(ok.Configs!, c => c.Name == "retention.ms" && c.Value == "1234" && c.ConfigSource == 1);
        Assert.Contains(ok.Configs!, c => c.Name == "segment.bytes" && c.Value == "1073741824" && c.ConfigSource == 5);

        Assert.Equal((short)ErrorCode.TopicAlreadyExists, (await Run(Create("good"))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidPartitions, (await Run(Create("p0", 0))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicationFactor, (await Run(Create("rf3", 1, 3))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicationFactor, (await Run(Create("rf0", 1, 0))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, (await Run(Create("bad/name"))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, (await Run(Create(".."))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, (await Run(Create(new string('x', 250)))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await Run(Create("c1", configs: ("no.such.config", "1")))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await Run(Create("c2", configs: ("retention.ms", "abc")))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidConfig, (await Run(Create("c3", configs: ("cleanup.policy", "forever")))).ErrorCode);

        var defaults = await Run(Create("defaults", -1, -1));
        Assert.Equal(0, defaults.ErrorCode);
        Assert.Equal(1, defaults.NumPartitions);

        var validate = await Run(Create("dry", 2, validateOnly: true));
        Assert.Equal(0, validate.ErrorCode);
        Assert.Null(broker.Host.Metadata.Image.Topic("dry"));

        foreach (short v in new short[] { 0, 1, 4, 5 })
            Assert.Equal(0, (await Run(Create($"v{v}", 1), v)).ErrorCode);
    }

    [Fact]
    public async Task DeleteTopics_by_name_and_by_id()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("d1"));
        var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("d2"));
        await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("d1", 0, Batches.Build(2)));

        var byName = await conn.RequestAsync<DeleteTopicsRequest, DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, new DeleteTopicsRequest { TopicNames = ["d1", "missing"] });
        Assert.Equal(0, byName.Responses[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, byName.Responses[1].ErrorCode);

        var byId = await conn.RequestAsync<DeleteTopicsRequest, DeleteTopicsResponse>(ApiKey.DeleteTopics, 6,
            new DeleteTopicsRequest { Topics = [new() { TopicId = created.Topics[0].TopicId }, new() { TopicId = Guid.NewGuid() }] });
        Assert.Equal(0, byId.Responses[0].ErrorCode);
        Assert.Equal("d2", byId.Responses[0].Name);
        Assert.Equal((short)ErrorCode.UnknownTopicId, byId.Responses[1].ErrorCode);
        Assert.Empty(broker.Host.Metadata.Image.TopicsByName);

        // Re-creating the same name starts an empty log.
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("d1"));
        var fetch = await conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("d1", 0, 0));
        Assert.Equal(0, fetch.Responses[0].Partitions[0].HighWatermark);
    }

    [Fact]
    public async Task CreatePartitions_only_grows()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("cp", 2));
        async Task<short> Grow(string name, int count, short v = 3) =>
            (await conn.RequestAsync<CreatePartitionsRequest, CreatePartitionsResponse>(ApiKey.CreatePartitions, v,
                new CreatePartitionsRequest { Topics = [new() { Name = name, Count = count, Assignments = null }] })).Results[0].ErrorCode;
        Assert.Equal((short)ErrorCode.InvalidPartitions, await Grow("cp", 2));
        Assert.Equal((short)ErrorCode.InvalidPartitions, await Grow("cp", 1));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, await Grow("nope", 5));
        Assert.Equal(0, await Grow("cp", 4, 0));
        var produce = await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("cp", 3, Batches.Build(1)));
        Assert.Equal(0, produce.Responses[0].PartitionResponses[0].ErrorCode);
        var md = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [new() { Name = "cp" }] });
        Assert.Equal(4, md.Topics[0].Partitions.Count);
    }

    [Fact]
    public async Task Metadata_reports_cluster_topics_by_name_and_id()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["auto.create.topics.enable"] = "false" });
        using var conn = broker.Connect();
        var created = await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("m1", 2));
        for (short v = 0; v <= 12; v++)
        {
            var all = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, v, new MetadataRequest { Topics = v == 0 ? [] : null });
            Assert.Single(all.Brokers);
            Assert.Equal(broker.Port, all.Brokers[0].Port);
            Assert.Single(all.Topics);
            Assert.Equal(2, all.Topics[0].Partitions.Count);
            if (v >= 1)
                Assert.Equal(0, all.ControllerId);
            if (v >= 2)
                Assert.Equal(broker.Host.ClusterId, all.ClusterId);
        }
        var missing = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [new() { Name = "absent" }, new() { Name = "bad name" }] });
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, missing.Topics[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, missing.Topics[1].ErrorCode);
        var byId = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
            new MetadataRequest { Topics = [new() { Name = null, TopicId = created.Topics[0].TopicId }, new() { Name = null, TopicId = Guid.NewGuid() }] });
        Assert.Equal("m1", byId.Topics[0].Name);
        Assert.Equal((short)ErrorCode.UnknownTopicId, byId.Topics[1].ErrorCode);
        var none = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 4, new MetadataRequest { Topics = [] });
        Assert.Empty(none.Topics);
    }

    [Fact]
    public async Task Metadata_v4_respects_AllowAutoTopicCreation()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var denied = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 4, new MetadataRequest { Topics = [new() { Name = "auto1" }], AllowAutoTopicCreation = false });
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, denied.Topics[0].ErrorCode);
        var allowed = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 4, new MetadataRequest { Topics = [new() { Name = "auto1" }], AllowAutoTopicCreation = true });
        Assert.Equal(0, allowed.Topics[0].ErrorCode);
        Assert.Single(allowed.Topics[0].Partitions);
    }

    [Fact]
    public async Task DescribeCluster_lists_this_node()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        foreach (short v in new short[] { 0, 1 })
        {
            var r = await conn.RequestAsync<DescribeClusterRequest, DescribeClusterResponse>(ApiKey.DescribeCluster, v, new DescribeClusterRequest());
            Assert.Equal(0, r.ErrorCode);
            Assert.Equal(broker.Host.ClusterId, r.ClusterId);
            Assert.Equal(0, r.ControllerId);
            Assert.Equal(broker.Port, Assert.Single(r.Brokers).Port);
        }
    }

    [Fact]
    public async Task DescribeQuorum_on_a_single_node_reports_itself_as_the_one_voter_and_leader()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        foreach (short v in new short[] { 0, 1, 2 })
        {
            var r = await conn.RequestAsync<DescribeQuorumRequest, DescribeQuorumResponse>(ApiKey.DescribeQuorum, v, new DescribeQuorumRequest
            {
                Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] }, new() { TopicName = "other", Partitions = [new() { PartitionIndex = 3 }] }],
            });
            Assert.Equal(0, r.ErrorCode);
            Assert.Equal(["__cluster_metadata", "other"], r.Topics.Select(t => t.TopicName));
            var metadata = Assert.Single(r.Topics[0].Partitions);
            Assert.Equal(0, metadata.ErrorCode);
            Assert.Equal(0, metadata.LeaderId);
            Assert.True(metadata.LeaderEpoch > 0, $"epoch {metadata.LeaderEpoch}");
            Assert.True(metadata.HighWatermark > 0, $"high watermark {metadata.HighWatermark}");
            var voter = Assert.Single(metadata.CurrentVoters);
            Assert.Equal(0, voter.ReplicaId);
            Assert.True(voter.LogEndOffset >= metadata.HighWatermark, $"log end {voter.LogEndOffset}");
            Assert.Empty(metadata.Observers);
            Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(r.Topics[1].Partitions).ErrorCode);
            Assert.Equal(3, r.Topics[1].Partitions[0].PartitionIndex);
        }
    }

    [Fact]
    public async Task AlterPartition_on_a_single_node_is_checked_by_its_own_controller()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        await conn.RequestAsync<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, 7, Create("alone"));
        foreach (short v in new short[] { 0, 1, 2, 3 })
        {
            // The node is the active controller of its quorum of one; a request from another broker epoch is refused.
            var r = await conn.RequestAsync<AlterPartitionRequest, AlterPartitionResponse>(ApiKey.AlterPartition, v, new AlterPartitionRequest
            {
                BrokerId = 0,
                BrokerEpoch = -2,
                Topics = [new() { TopicName = v < 2 ? "alone" : "", Partitions = [new() { PartitionIndex = 0 }] }],
            });
            Assert.Equal((short)ErrorCode.StaleBrokerEpoch, r.ErrorCode);
            Assert.Empty(r.Topics);
        }
    }
}
