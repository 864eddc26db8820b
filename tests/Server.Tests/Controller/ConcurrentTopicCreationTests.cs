using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>
/// Topic creations are checked one at a time but committed together: a CreateTopics request of many topics proposes
/// them all before the first commits (so they share commits), while a name being created is reserved until its commit
/// is published: a creation of the same or a colliding name waits for it and is then checked against its result.
/// </summary>
public sealed class ConcurrentTopicCreationTests
{
    private static async Task<(TopicManager Topics, QuorumMetadataStore Store, ScriptedQuorum Quorum)> ClusterAsync()
    {
        var (store, quorum) = ScriptedQuorum.Create();
        foreach (var id in new[] { 0, 1, 2 })
            await store.ProposeAsync(new RegisterBrokerRecord(id, [new EndpointRecord("PLAINTEXT", "h", 9092)], null));
        var config = BrokerConfig.Create(new Dictionary<string, string> { ["node.id"] = "0" });
        return (new TopicManager(config, store), store, quorum);
    }

    [Fact]
    public async Task Many_creations_are_proposed_before_the_first_commits_and_commit_in_one_batch()
    {
        var (topics, store, quorum) = await ClusterAsync();
        await using var _store = store;
        quorum.Hold();

        var creations = Enumerable.Range(0, 20).Select(i => topics.CreateAsync($"t{i}", 10, 3, null, null, validateOnly: false)).ToList();

        Assert.Equal(20, quorum.HeldCount);
        Assert.All(creations, c => Assert.False(c.IsCompleted));
        quorum.Release();
        var results = await Task.WhenAll(creations);
        Assert.All(results, r => Assert.Equal(ErrorCode.None, r.Error));
        Assert.Equal(20, store.Image.TopicsByName.Count);
        Assert.All(store.Image.TopicsById.Values, t => Assert.Equal(10, t.Partitions.Length));
    }

    [Fact]
    public async Task A_creation_of_a_name_being_created_waits_for_that_commit_and_is_then_refused()
    {
        var (topics, store, quorum) = await ClusterAsync();
        await using var _store = store;
        quorum.Hold();

        var first = topics.CreateAsync("orders", 3, 3, null, null, validateOnly: false);
        var again = topics.CreateAsync("orders", 3, 3, null, null, validateOnly: false);
        var underscore = topics.CreateAsync("x_y", 1, 1, null, null, validateOnly: false);
        var dot = topics.CreateAsync("x.y", 1, 1, null, null, validateOnly: false);

        Assert.Equal(2, quorum.HeldCount); // orders and x_y: the other two wait without proposing
        Assert.False(again.IsCompleted);
        Assert.False(dot.IsCompleted);
        quorum.Release();
        Assert.Equal(ErrorCode.None, (await first).Error);
        Assert.Equal(ErrorCode.None, (await underscore).Error);
        var refused = await again;
        Assert.Equal(ErrorCode.TopicAlreadyExists, refused.Error);
        Assert.NotNull(store.Image.Topic("orders")); // what an auto-creation reads next
        var collided = await dot;
        Assert.Equal(ErrorCode.InvalidTopicException, collided.Error);
        Assert.Contains("x_y", collided.Message, StringComparison.Ordinal);
        Assert.Equal(2, store.Image.TopicsByName.Count);
    }

    [Fact]
    public async Task A_failed_commit_releases_the_name()
    {
        var (topics, store, quorum) = await ClusterAsync();
        await using var _store = store;
        quorum.Unavailable = true;

        var failed = await topics.CreateAsync("orders", 3, 3, null, null, validateOnly: false);
        quorum.Unavailable = false;
        var retried = await topics.CreateAsync("orders", 3, 3, null, null, validateOnly: false);

        Assert.Equal(ErrorCode.NotController, failed.Error);
        Assert.Equal(ErrorCode.None, retried.Error);
    }
}
