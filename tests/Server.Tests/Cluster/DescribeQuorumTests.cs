using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// DescribeQuorum against three real broker processes: the leader's view, reached through a follower; then, on the
/// same cluster, a voter removed and added back (KIP-853) while a topic is served.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class DescribeQuorumTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_follower_points_to_the_leader_which_reports_every_voter_caught_up_then_a_voter_is_removed_and_added_back()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output);
        await using var first = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers);
        var leader = (await WaitForAsync(() => first.DescribeClusterAsync(), d => d.Brokers.Count == 3 && d.ControllerId >= 0, "a controller")).ControllerId;
        var follower = cluster.Brokers[(leader + 1) % 3];

        // Asked directly, the follower answers NOT_LEADER_OR_FOLLOWER and names the leader.
        await using (var raw = await KafkaCluster.ConnectAsync(follower.BootstrapServers))
        {
            var connection = await raw.GetAnyConnectionAsync();
            var response = await connection.SendAsync<DescribeQuorumRequest, DescribeQuorumResponse>(new DescribeQuorumRequest
            {
                Topics =
                [
                    new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] },
                    new() { TopicName = "orders", Partitions = [new() { PartitionIndex = 0 }] },
                ],
            });
            Assert.Equal(0, response.ErrorCode);
            var metadata = Assert.Single(response.Topics[0].Partitions);
            Assert.Equal((short)ErrorCode.NotLeaderOrFollower, metadata.ErrorCode);
            Assert.Equal(leader, metadata.LeaderId);
            Assert.True(metadata.LeaderEpoch > 0, $"epoch {metadata.LeaderEpoch}");
            Assert.Empty(metadata.CurrentVoters);
            Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(response.Topics[1].Partitions).ErrorCode);
        }

        // Through the admin client, bootstrapped from the follower only, the request is followed to the leader.
        await using var admin = await KafkaAdminClient.ConnectAsync(follower.BootstrapServers);
        var quorum = await WaitForAsync(() => admin.DescribeQuorumAsync(),
            q => q.Voters.Count == 3 && q.Voters.All(v => v.Lag == 0 && v.LastFetchTimestamp > 0), "every voter caught up");
        Assert.Equal(leader, quorum.LeaderId);
        Assert.True(quorum.LeaderEpoch > 0, $"epoch {quorum.LeaderEpoch}");
        Assert.True(quorum.HighWatermark > 0, $"high watermark {quorum.HighWatermark}");
        Assert.Equal([0, 1, 2], quorum.Voters.Select(v => v.Id));
        Assert.All(quorum.Voters, v => Assert.True(v.LogEndOffset >= quorum.HighWatermark, $"voter {v.Id} at {v.LogEndOffset}"));
        Assert.All(quorum.Voters, v => Assert.True(v.LastCaughtUpTimestamp > 0, $"voter {v.Id} never caught up"));
        Assert.Empty(quorum.Observers);

        await RemoveAndAddBackAsync(cluster, leader, follower);
    }

    /// <summary>
    /// The follower voter leaves the voter set (it then follows the log as an observer), metadata still commits on the
    /// two voters left and the topic keeps taking acks=all writes; it is added back once caught up, and every voter is
    /// caught up again. The cluster serves kraft.version 1 (the voter set lives in the log).
    /// </summary>
    private async Task RemoveAndAddBackAsync(BrokerCluster cluster, int leader, BrokerProcess victimBroker)
    {
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[leader].BootstrapServers);
        var victim = Enumerable.Range(0, 3).Single(i => cluster.Brokers[i] == victimBroker);
        DescribeQuorumResponse.Node node;
        await using (var raw = await KafkaCluster.ConnectAsync(cluster.Brokers[leader].BootstrapServers))
        {
            var connection = await raw.GetAnyConnectionAsync();
            var described = await connection.SendAsync<DescribeQuorumRequest, DescribeQuorumResponse>(new DescribeQuorumRequest
            {
                Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] }],
            });
            Assert.Equal([0, 1, 2], described.Nodes.Select(n => n.NodeId).Order());
            node = described.Nodes.Single(n => n.NodeId == victim);
        }
        var endpoint = Assert.Single(node.Listeners);

        Assert.Null((await admin.CreateTopicAsync("voters", 1, 3)).Error);
        await using var producer = await KafkaProducer.ConnectAsync(new KafkaClientOptions { BootstrapServers = [.. cluster.Brokers.Select(b => b.BootstrapServers)] });
        var first = await producer.ProduceAsync("voters", 0, null, [1]);

        await admin.RemoveRaftVoterAsync(victim);
        var removed = await WaitForAsync(() => admin.DescribeQuorumAsync(),
            q => q.Voters.Count == 2 && q.Observers.Any(o => o.Id == victim), $"voter {victim} an observer");
        Assert.DoesNotContain(victim, removed.Voters.Select(v => v.Id));
        var unknown = await Assert.ThrowsAsync<KafkaException>(() => admin.RemoveRaftVoterAsync(victim));
        Assert.Equal(ErrorCode.VoterNotFound, unknown.Code);
        Assert.Null((await admin.CreateTopicAsync("while-removed", 1, 3)).Error);
        var second = await producer.ProduceAsync("voters", 0, null, [2]);
        Assert.Equal(first.Offset + 1, second.Offset);

        // Back once it has caught up as an observer (REQUEST_TIMED_OUT until then); a retry after an add that did
        // commit but answered late meets DUPLICATE_VOTER.
        await WaitForAsync(async () =>
        {
            try
            {
                await admin.AddRaftVoterAsync(victim, endpoint.Host, endpoint.Port, endpoint.Name, TimeSpan.FromSeconds(10));
            }
            catch (KafkaException ex) when (ex.Code == ErrorCode.DuplicateVoter)
            {
            }
            return true;
        }, added => added, $"voter {victim} added back");
        var back = await WaitForAsync(() => admin.DescribeQuorumAsync(),
            q => q.Voters.Count == 3 && q.Voters.All(v => v.Lag == 0) && q.Observers.All(o => o.Id != victim), "three voters caught up");
        Assert.Equal([0, 1, 2], back.Voters.Select(v => v.Id));
        Assert.Equal(first.Offset + 2, (await producer.ProduceAsync("voters", 0, null, [3])).Offset);

        await using var raw2 = await KafkaCluster.ConnectAsync(victimBroker.BootstrapServers);
        var versions = await (await raw2.GetAnyConnectionAsync()).SendAsync<ApiVersionsRequest, ApiVersionsResponse>(new ApiVersionsRequest());
        var kraft = Assert.Single(versions.FinalizedFeatures, f => f.Name == "kraft.version");
        Assert.Equal(1, kraft.MaxVersionLevel);
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
