using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Tests.Admin;

public class KafkaAdminClientTests
{
    private static async Task<KafkaAdminClient> Connect(FakeKafka fake) =>
        new(await KafkaCluster.ConnectAsync(fake.ClientOptions()), ownsCluster: true);

    [Fact]
    public async Task CreateTopics_sends_the_spec_and_reports_each_topic_separately()
    {
        await using var fake = new FakeKafka();
        CreateTopicsRequest? seen = null;
        fake.Handler = (_, request) => request is CreateTopicsRequest create
            ? new CreateTopicsResponse
            {
                Topics = create.Topics.Select(t => new CreateTopicsResponse.CreatableTopicResult
                {
                    Name = t.Name,
                    ErrorCode = t.Name == "exists" ? (short)ErrorCode.TopicAlreadyExists : (short)0,
                    ErrorMessage = t.Name == "exists" ? "Topic 'exists' already exists." : null,
                }).ToList(),
            }.Also(() => seen = create)
            : null;
        await using var admin = await Connect(fake);

        var results = await admin.CreateTopicsAsync(
            [new NewTopic("orders", 6, 3) { Configs = { ["cleanup.policy"] = "compact" } }, new NewTopic("exists", 1, 1)],
            validateOnly: true, timeout: TimeSpan.FromSeconds(7));

        Assert.NotNull(seen);
        Assert.True(seen.ValidateOnly);
        Assert.Equal(7000, seen.TimeoutMs);
        var orders = seen.Topics[0];
        Assert.Equal(("orders", 6, (short)3), (orders.Name, orders.NumPartitions, orders.ReplicationFactor));
        Assert.Equal(("cleanup.policy", "compact"), (orders.Configs[0].Name, orders.Configs[0].Value));
        Assert.True(results[0].Succeeded);
        Assert.False(results[1].Succeeded);
        Assert.Equal(ErrorCode.TopicAlreadyExists, results[1].Error!.Code);
        Assert.Contains("already exists", results[1].Error!.Message, StringComparison.Ordinal);
        Assert.Throws<KafkaException>(() => results.ThrowIfAnyFailed());
    }

    [Fact]
    public async Task DeleteTopics_and_CreatePartitions_report_per_topic_errors()
    {
        await using var fake = new FakeKafka();
        fake.Handler = (_, request) => request switch
        {
            DeleteTopicsRequest d => new DeleteTopicsResponse
            {
                Responses = d.Topics.Select(t => new DeleteTopicsResponse.DeletableTopicResult
                {
                    Name = t.Name,
                    ErrorCode = t.Name == "ghost" ? (short)ErrorCode.UnknownTopicOrPartition : (short)0,
                }).ToList(),
            },
            CreatePartitionsRequest c => new CreatePartitionsResponse
            {
                Results = c.Topics.Select(t => new CreatePartitionsResponse.CreatePartitionsTopicResult
                {
                    Name = t.Name,
                    ErrorCode = t.Count < 3 ? (short)ErrorCode.InvalidPartitions : (short)0,
                    ErrorMessage = t.Count < 3 ? $"Topic currently has 3 partitions, {t.Count} would not be an increase." : null,
                }).ToList(),
            },
            _ => null,
        };
        await using var admin = await Connect(fake);

        var deleted = await admin.DeleteTopicsAsync(["a", "ghost"]);
        var grown = await admin.CreatePartitionsAsync(new Dictionary<string, int> { ["a"] = 6, ["b"] = 2 });

        Assert.True(deleted[0].Succeeded);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, deleted[1].Error!.Code);
        Assert.True(grown[0].Succeeded);
        Assert.Equal(ErrorCode.InvalidPartitions, grown[1].Error!.Code);
        Assert.Contains("would not be an increase", grown[1].Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DescribeTopics_and_ListTopics_come_from_metadata()
    {
        await using var fake = new FakeKafka(brokers: 2);
        fake.HiddenApis.Add(ApiKey.DescribeTopicPartitions);
        fake.AddTopic("orders", 1, 2);
        fake.Partition("orders", 1).ReplicaNodes = [2, 1];
        fake.Partition("orders", 1).IsrNodes = [2];
        fake.AddTopic("__consumer_offsets", 1);
        fake.Metadata.Topics[1].IsInternal = true;
        await using var admin = await Connect(fake);

        var described = await admin.DescribeTopicsAsync(["orders", "nope"]);
        var listed = await admin.ListTopicsAsync();
        var all = await admin.ListTopicsAsync(includeInternal: true);

        var orders = described[0];
        Assert.True(orders.Succeeded);
        Assert.Equal(fake.Metadata.Topics[0].TopicId, orders.TopicId);
        Assert.Equal(2, orders.Partitions.Count);
        Assert.Equal(2, orders.Partitions[1].LeaderId);
        Assert.Equal([2, 1], orders.Partitions[1].Replicas);
        Assert.Equal([2], orders.Partitions[1].Isr);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, described[1].Error!.Code);
        Assert.Equal(["orders"], listed.Select(t => t.Name));
        Assert.Equal(2, listed[0].PartitionCount);
        Assert.Equal(2, all.Count);
    }

    private static FakeKafka SpreadTopics()
    {
        var fake = new FakeKafka(brokers: 3);
        fake.AddTopic("orders", 1, 2, 3);
        var p1 = fake.Partition("orders", 1);
        (p1.LeaderEpoch, p1.ReplicaNodes, p1.IsrNodes, p1.OfflineReplicas) = (4, [2, 3, 1], [2], [3]);
        fake.AddTopic("audit", 2);
        fake.AddTopic("__consumer_offsets", 1);
        fake.Metadata.Topics[2].IsInternal = true;
        return fake;
    }

    private static void AssertOrders(TopicDescription orders)
    {
        Assert.True(orders.Succeeded);
        Assert.Equal([0, 1, 2], orders.Partitions.Select(p => p.Partition));
        var p1 = orders.Partitions[1];
        Assert.Equal((2, 4), (p1.LeaderId, p1.LeaderEpoch));
        Assert.Equal([2, 3, 1], p1.Replicas);
        Assert.Equal([2], p1.Isr);
        Assert.Equal([3], p1.OfflineReplicas);
    }

    [Fact]
    public async Task DescribeTopics_follows_the_DescribeTopicPartitions_cursor_and_joins_split_topics()
    {
        await using var fake = SpreadTopics();
        fake.DescribePartitionLimit = 2;
        await using var admin = await Connect(fake);

        var described = await admin.DescribeTopicsAsync(["orders", "nope", "audit"]);

        Assert.Equal(["orders", "nope", "audit"], described.Select(d => d.Name));
        AssertOrders(described[0]);
        Assert.Equal(fake.Metadata.Topics[0].TopicId, described[0].TopicId);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, described[1].Error!.Code);
        Assert.Equal([2], described[2].Partitions.Select(p => p.LeaderId));
        // audit-0 and orders-0, then orders-1 and orders-2 from the cursor.
        Assert.Equal(2, fake.Calls(ApiKey.DescribeTopicPartitions));

        var all = await admin.DescribeAllTopicsAsync();
        Assert.Equal(["audit", "orders"], all.Select(t => t.Name));
        AssertOrders(all[1]);
        Assert.Equal(3, (await admin.DescribeAllTopicsAsync(includeInternal: true)).Count);
    }

    [Fact]
    public async Task Without_DescribeTopicPartitions_the_same_description_comes_from_metadata()
    {
        await using var fake = SpreadTopics();
        fake.HiddenApis.Add(ApiKey.DescribeTopicPartitions);
        await using var admin = await Connect(fake);

        AssertOrders(await admin.DescribeTopicAsync("orders"));
        var all = await admin.DescribeAllTopicsAsync();
        Assert.Equal(["audit", "orders"], all.Select(t => t.Name));
        AssertOrders(all[1]);
        Assert.Equal(0, fake.Calls(ApiKey.DescribeTopicPartitions));
    }

    [Fact]
    public async Task A_cursor_that_does_not_advance_is_an_error_not_a_loop()
    {
        await using var fake = SpreadTopics();
        fake.Handler = (_, request) => request is DescribeTopicPartitionsRequest
            ? new DescribeTopicPartitionsResponse { NextCursor = new DescribeTopicPartitionsCursor { TopicName = "orders", PartitionIndex = 1 } }
            : null;
        await using var admin = await Connect(fake);

        var error = await Assert.ThrowsAsync<KafkaException>(() => admin.DescribeTopicAsync("orders"));
        Assert.Contains("cursor orders/1", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, fake.Calls(ApiKey.DescribeTopicPartitions));
    }

    [Fact]
    public async Task DescribeConfigs_sends_broker_resources_to_that_broker_and_maps_sources()
    {
        await using var fake = new FakeKafka(brokers: 2);
        var askedBroker = new Dictionary<string, int>();
        fake.Handler = (brokerId, request) =>
        {
            if (request is not DescribeConfigsRequest describe)
            {
                return null;
            }

            var response = new DescribeConfigsResponse();
            foreach (var resource in describe.Resources)
            {
                askedBroker[resource.ResourceName] = brokerId;
                response.Results.Add(new DescribeConfigsResponse.DescribeConfigsResult
                {
                    ResourceType = resource.ResourceType,
                    ResourceName = resource.ResourceName,
                    ErrorCode = resource.ResourceName == "ghost" ? (short)ErrorCode.UnknownTopicOrPartition : (short)0,
                    Configs = resource.ResourceName == "ghost" ? [] :
                    [
                        new() { Name = "retention.ms", Value = "1000", ConfigSource = (sbyte)ConfigSource.DynamicTopicConfig,
                            Synonyms = [new() { Name = "log.retention.ms", Value = "604800000", Source = (sbyte)ConfigSource.StaticBrokerConfig }] },
                        new() { Name = "cleanup.policy", Value = "delete", ConfigSource = (sbyte)ConfigSource.DefaultConfig },
                    ],
                });
            }

            return response;
        };
        await using var admin = await Connect(fake);

        var results = await admin.DescribeConfigsAsync(
            [ConfigResource.Topic("orders"), ConfigResource.Broker(2), ConfigResource.Topic("ghost")], includeSynonyms: true);

        Assert.Equal(2, askedBroker["2"]);
        var topic = results[0];
        Assert.Equal(ConfigResource.Topic("orders"), topic.Resource);
        Assert.Equal(ConfigSource.DynamicTopicConfig, topic["retention.ms"]!.Source);
        Assert.False(topic["retention.ms"]!.IsDefault);
        Assert.True(topic["cleanup.policy"]!.IsDefault);
        Assert.Equal(ConfigSource.StaticBrokerConfig, topic["retention.ms"]!.Synonyms[0].Source);
        Assert.True(results[1].Succeeded);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, results[2].Error!.Code);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_and_AlterConfigs_send_operations_and_report_per_resource()
    {
        await using var fake = new FakeKafka();
        IncrementalAlterConfigsRequest? incremental = null;
        AlterConfigsRequest? full = null;
        fake.Handler = (_, request) => request switch
        {
            IncrementalAlterConfigsRequest r => new IncrementalAlterConfigsResponse
            {
                Responses = r.Resources.Select(x => new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = x.ResourceType,
                    ResourceName = x.ResourceName,
                    ErrorCode = x.Configs.Any(c => c.Name == "bogus") ? (short)ErrorCode.InvalidConfig : (short)0,
                    ErrorMessage = x.Configs.Any(c => c.Name == "bogus") ? "Unknown config bogus" : null,
                }).ToList(),
            }.Also(() => incremental = r),
            AlterConfigsRequest r => new AlterConfigsResponse
            {
                Responses = r.Resources.Select(x => new AlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = x.ResourceType,
                    ResourceName = x.ResourceName,
                }).ToList(),
            }.Also(() => full = r),
            _ => null,
        };
        await using var admin = await Connect(fake);

        var altered = await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Topic("a")] = [new("retention.ms", "5000"), new("segment.bytes", null, AlterConfigOp.Delete)],
            [ConfigResource.Topic("b")] = [new("bogus", "1")],
        }, validateOnly: true);
        var replaced = await admin.AlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyDictionary<string, string?>>
        {
            [ConfigResource.Topic("a")] = new Dictionary<string, string?> { ["retention.ms"] = "9" },
        });

        Assert.True(incremental!.ValidateOnly);
        var ops = incremental.Resources[0].Configs;
        Assert.Equal([("retention.ms", (sbyte)0, "5000"), ("segment.bytes", (sbyte)1, null)], ops.Select(c => (c.Name, c.ConfigOperation, c.Value)));
        Assert.True(altered[0].Succeeded);
        Assert.Equal(ErrorCode.InvalidConfig, altered[1].Error!.Code);
        Assert.Equal("9", full!.Resources[0].Configs[0].Value);
        Assert.True(replaced[0].Succeeded);
    }

    [Fact]
    public async Task DescribeCluster_returns_id_controller_and_brokers()
    {
        await using var fake = new FakeKafka(brokers: 2);
        fake.Handler = (_, request) => request is DescribeClusterRequest
            ? new DescribeClusterResponse
            {
                ClusterId = "abc",
                ControllerId = 2,
                Brokers = [new() { BrokerId = 2, Host = "b2", Port = 9092 }, new() { BrokerId = 1, Host = "b1", Port = 9092, Rack = "r1" }],
            }
            : null;
        await using var admin = await Connect(fake);

        var cluster = await admin.DescribeClusterAsync();

        Assert.Equal("abc", cluster.ClusterId);
        Assert.Equal(2, cluster.ControllerId);
        Assert.Equal([1, 2], cluster.Brokers.Select(b => b.NodeId));
        Assert.Equal("r1", cluster.Brokers[0].Rack);
    }

    [Fact]
    public async Task DescribeQuorum_follows_not_leader_to_the_leader_and_computes_lag()
    {
        await using var fake = new FakeKafka(brokers: 2);
        var asked = new List<int>();
        fake.Handler = (brokerId, request) =>
        {
            if (request is not DescribeQuorumRequest describe)
            {
                return null;
            }

            asked.Add(brokerId);
            Assert.Equal(("__cluster_metadata", 0), (describe.Topics[0].TopicName, describe.Topics[0].Partitions[0].PartitionIndex));
            var partition = brokerId == 2
                ? new DescribeQuorumResponse.PartitionData
                {
                    LeaderId = 2,
                    LeaderEpoch = 7,
                    HighWatermark = 100,
                    CurrentVoters =
                    [
                        new() { ReplicaId = 2, LogEndOffset = 101, LastFetchTimestamp = 5000, LastCaughtUpTimestamp = 5000 },
                        new() { ReplicaId = 1, LogEndOffset = 90, LastFetchTimestamp = 4000, LastCaughtUpTimestamp = -1 },
                    ],
                }
                : new DescribeQuorumResponse.PartitionData { ErrorCode = (short)ErrorCode.NotLeaderOrFollower, LeaderId = 2, LeaderEpoch = 7 };
            return new DescribeQuorumResponse { Topics = [new() { TopicName = "__cluster_metadata", Partitions = [partition] }] };
        };
        await using var admin = await Connect(fake);

        var quorum = await admin.DescribeQuorumAsync();

        Assert.Equal((2, 7, 100L), (quorum.LeaderId, quorum.LeaderEpoch, quorum.HighWatermark));
        Assert.Equal([1, 2], quorum.Voters.Select(v => v.Id));
        Assert.Equal(new QuorumReplica(1, 90, 4000, -1, 10), quorum.Voters[0]);
        Assert.Equal(0, quorum.Voters[1].Lag);
        Assert.Empty(quorum.Observers);
        Assert.Equal([1, 2], asked);
    }

    [Fact]
    public async Task DescribeQuorum_without_a_quorum_fails_with_unknown_topic_or_partition()
    {
        await using var fake = new FakeKafka();
        fake.Handler = (_, request) => request is DescribeQuorumRequest
            ? new DescribeQuorumResponse
            {
                Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { ErrorCode = (short)ErrorCode.UnknownTopicOrPartition }] }],
            }
            : null;
        await using var admin = await Connect(fake);

        var error = await Assert.ThrowsAsync<KafkaException>(() => admin.DescribeQuorumAsync());

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.Code);
        Assert.Contains("no metadata quorum", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fake.Calls(ApiKey.DescribeQuorum));
    }

    [Fact]
    public async Task ListOffsets_goes_to_each_leader_and_retries_after_leadership_moves()
    {
        await using var fake = new FakeKafka(brokers: 2);
        fake.AddTopic("t", 1, 2);
        var askedBroker = new List<(int Broker, int Partition)>();
        fake.Handler = (brokerId, request) =>
        {
            if (request is not ListOffsetsRequest list)
            {
                return null;
            }

            var response = new ListOffsetsResponse();
            foreach (var topic in list.Topics)
            {
                var result = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
                foreach (var p in topic.Partitions)
                {
                    lock (askedBroker)
                    {
                        askedBroker.Add((brokerId, p.PartitionIndex));
                    }

                    var leader = fake.Partition(topic.Name, p.PartitionIndex).LeaderId;
                    result.Partitions.Add(new ListOffsetsResponse.ListOffsetsPartitionResponse
                    {
                        PartitionIndex = p.PartitionIndex,
                        ErrorCode = leader == brokerId ? (short)0 : (short)ErrorCode.NotLeaderOrFollower,
                        Offset = p.Timestamp == OffsetSpec.Earliest ? 10 : 100 + p.PartitionIndex,
                        Timestamp = -1,
                    });
                }

                response.Topics.Add(result);
            }

            return response;
        };
        await using var admin = await Connect(fake);
        await admin.Cluster.RefreshMetadataAsync(["t"]);
        fake.Partition("t", 1).LeaderId = 1; // moved after the client cached metadata

        var latest = await admin.ListOffsetsAsync([new TopicPartition("t", 0), new TopicPartition("t", 1)], OffsetSpec.Latest);
        var earliest = await admin.ListTopicOffsetsAsync("t", OffsetSpec.Earliest);

        Assert.Equal([100L, 101L], latest.Select(r => r.Offset));
        Assert.All(latest, r => Assert.True(r.Succeeded));
        Assert.Contains((2, 1), askedBroker);   // first try at the stale leader
        Assert.Contains((1, 1), askedBroker);   // retried at the new one
        Assert.Equal([10L, 10L], earliest.Select(r => r.Offset));
    }

    [Fact]
    public async Task DeleteRecords_reports_low_watermarks()
    {
        await using var fake = new FakeKafka();
        fake.AddTopic("t", 1, 1);
        fake.Handler = (_, request) => request is DeleteRecordsRequest delete
            ? new DeleteRecordsResponse
            {
                Topics = delete.Topics.Select(t => new DeleteRecordsResponse.DeleteRecordsTopicResult
                {
                    Name = t.Name,
                    Partitions = t.Partitions.Select(p => new DeleteRecordsResponse.DeleteRecordsPartitionResult
                    {
                        PartitionIndex = p.PartitionIndex,
                        LowWatermark = p.Offset,
                        ErrorCode = p.Offset > 50 ? (short)ErrorCode.OffsetOutOfRange : (short)0,
                    }).ToList(),
                }).ToList(),
            }
            : null;
        await using var admin = await Connect(fake);

        var results = await admin.DeleteRecordsAsync(new Dictionary<TopicPartition, long>
        {
            [new("t", 0)] = 42,
            [new("t", 1)] = 99,
        });

        Assert.Equal(42, results[0].LowWatermark);
        Assert.Equal(ErrorCode.OffsetOutOfRange, results[1].Error!.Code);
    }
}

internal static class TestExtensions
{
    /// <summary>Runs a side effect and returns the value, for handlers written as expressions.</summary>
    public static T Also<T>(this T value, Action action)
    {
        action();
        return value;
    }
}
