using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Tests.Network;

public class KafkaClusterTests
{
    [Fact]
    public async Task Bootstrap_loads_brokers_and_controller_and_routes_to_partition_leaders()
    {
        await using var fake = new FakeKafka(brokers: 3);
        fake.Metadata.ControllerId = 2;
        fake.AddTopic("orders", 1, 3, 2);
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());

        Assert.Equal("fake-cluster", cluster.Metadata.ClusterId);
        Assert.Equal([1, 2, 3], cluster.Metadata.Brokers.Select(b => b.NodeId));
        Assert.Equal(2, cluster.Metadata.ControllerId);
        Assert.Empty(cluster.Metadata.Topics); // bootstrap asks for brokers only

        var leader = await cluster.GetLeaderConnectionAsync("orders", 1);
        Assert.Equal(3, leader.BrokerId);
        Assert.Equal("b3:9092", leader.Endpoint);
        var controller = await cluster.GetControllerConnectionAsync();
        Assert.Equal(2, controller.BrokerId);
        Assert.Same(leader, await cluster.GetConnectionAsync(3)); // connections are reused
        Assert.True(cluster.Metadata.Topics.ContainsKey("orders"));
        Assert.Equal(fake.Metadata.Topics[0].TopicId, cluster.Metadata.Topics["orders"].TopicId);
    }

    [Fact]
    public async Task Unknown_topic_is_a_clear_kafka_error()
    {
        await using var fake = new FakeKafka();
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());

        var ex = await Assert.ThrowsAsync<KafkaException>(() => cluster.GetLeaderConnectionAsync("missing", 0));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, ex.Code);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retriable_errors_refresh_metadata_and_retry_until_the_new_leader_answers()
    {
        await using var fake = new FakeKafka(brokers: 2);
        fake.AddTopic("t", 1);
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());
        Assert.Equal(1, await cluster.GetLeaderAsync("t", 0));

        // Leadership moves; the client still believes broker 1 leads until it refreshes.
        fake.Partition("t", 0).LeaderId = 2;
        var attempts = new List<int>();
        var result = await cluster.ExecuteAsync(async ct =>
        {
            var leader = await cluster.GetLeaderAsync("t", 0, ct);
            attempts.Add(leader);
            return leader == 1 ? throw new KafkaException(ErrorCode.NotLeaderOrFollower, "moved") : leader;
        }, refreshTopics: ["t"]);

        Assert.Equal(2, result);
        Assert.Equal([1, 2], attempts);
    }

    [Fact]
    public async Task Retries_stop_after_the_budget_and_non_retriable_errors_are_not_retried()
    {
        await using var fake = new FakeKafka();
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions(maxRetries: 2));

        var calls = 0;
        var retriable = await Assert.ThrowsAsync<KafkaException>(() => cluster.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new KafkaException(ErrorCode.LeaderNotAvailable);
        }, refreshTopics: []));
        Assert.Equal(ErrorCode.LeaderNotAvailable, retriable.Code);
        Assert.Equal(3, calls);

        calls = 0;
        await Assert.ThrowsAsync<KafkaException>(() => cluster.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new KafkaException(ErrorCode.TopicAuthorizationFailed);
        }, refreshTopics: []));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_dropped_connection_is_reopened_on_next_use()
    {
        await using var fake = new FakeKafka();
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());
        var first = await cluster.GetConnectionAsync(1);

        await fake.Connections.Single().DisconnectAsync();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(5));

        var metadata = await cluster.RefreshMetadataAsync(null);
        var second = await cluster.GetConnectionAsync(1);
        Assert.NotSame(first, second);
        Assert.True(second.IsConnected);
        Assert.Equal(2, fake.ConnectionCount);
        Assert.Equal("fake-cluster", metadata.ClusterId);
    }

    [Fact]
    public async Task Requests_use_the_highest_version_both_sides_support_and_metadata_all_topics_is_null()
    {
        await using var fake = new FakeKafka();
        fake.AddTopic("a", 1);
        fake.AddTopic("b", 1, 1);
        MetadataRequest? seen = null;
        fake.Handler = (_, request) =>
        {
            seen = request as MetadataRequest;
            return null;
        };
        await using var cluster = await KafkaCluster.ConnectAsync(fake.ClientOptions());

        var metadata = await cluster.RefreshMetadataAsync(null);

        Assert.NotNull(seen);
        Assert.Null(seen.Topics);
        Assert.False(seen.AllowAutoTopicCreation);
        Assert.Equal(["a", "b"], metadata.Topics.Keys.Order());
        Assert.Equal(2, metadata.Topics["b"].Partitions.Count);
        var connection = await cluster.GetAnyConnectionAsync();
        Assert.Equal(12, connection.PickVersion<MetadataRequest>(new ApiVersionRange(1, 12)));
    }

    [Fact]
    public async Task No_reachable_bootstrap_server_fails_with_the_addresses_tried()
    {
        var options = new KafkaClientOptions
        {
            BootstrapServers = ["nowhere:1", "nowhere:2"],
            MaxRetries = 0,
            ConnectionFactory = (host, port, _, _) =>
                Task.FromException<KafkaConnection>(new KafkaConnectionException($"Cannot connect to {host}:{port}: refused")),
        };

        var ex = await Assert.ThrowsAsync<KafkaConnectionException>(() => KafkaCluster.ConnectAsync(options));
        Assert.Contains("nowhere:1, nowhere:2", ex.Message, StringComparison.Ordinal);
    }
}
