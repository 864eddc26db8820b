using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>DescribeQuorum against three real broker processes: the leader's view, reached through a follower.</summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class DescribeQuorumTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_follower_points_to_the_leader_which_reports_every_voter_caught_up()
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
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
