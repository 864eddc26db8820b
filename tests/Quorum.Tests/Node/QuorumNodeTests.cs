using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Node;

public sealed class QuorumNodeTests
{
    [Fact]
    public async Task ProposalsCommitOnTheLeaderAndThroughAFollower()
    {
        await using var cluster = new InProcessCluster(3);
        var leader = await cluster.WaitForLeader();
        var follower = cluster.Nodes.Keys.First(id => id != leader);

        var a = await cluster.Nodes[leader].ProposeAsync([1, 1]);
        var b = await cluster.Nodes[follower].ProposeAsync([2, 2]);
        Assert.True(b > a);
        await InProcessCluster.WaitUntil(() => cluster.Listeners.Values.All(l => l.Has([1, 1]) && l.Has([2, 2])), "every node applied both");
        Assert.All(cluster.Listeners.Values, l => Assert.Equal([a, b], l.Committed.Select(e => e.Offset)));
        await InProcessCluster.WaitUntil(() => cluster.Nodes[follower].HighWatermark > b, "the follower's high watermark passed both");

        var voters = cluster.Nodes[leader].DescribeVoters();
        Assert.Equal([1, 2, 3], voters.Select(v => v.Id));
        Assert.All(voters, v => Assert.True(v.LastFetchMs > 0));
        Assert.Empty(cluster.Nodes[follower].DescribeVoters());
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.Nodes[leader].ProposeAsync([]));
    }

    [Fact]
    public async Task AFollowersNewBrokerEpochReachesTheLeaderWhichSaysSo()
    {
        await using var cluster = new InProcessCluster(3);
        var leader = await cluster.WaitForLeader();
        var follower = cluster.Nodes.Keys.First(id => id != leader);
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.Nodes[leader].BrokerEpochRaised += () => raised.TrySetResult();

        cluster.Nodes[follower].SetBrokerEpoch(42);

        await raised.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var seen = cluster.Nodes[leader].DescribeVoters().Single(v => v.Id == follower);
        Assert.Equal(42, seen.BrokerEpoch);
        Assert.True(seen.BrokerEpochFetchMs > 0);
        Assert.All(cluster.Nodes[leader].DescribeVoters().Where(v => v.Id != follower && v.Id != leader), v => Assert.Equal(-1, v.BrokerEpoch));
    }

    [Fact]
    public async Task AKilledLeaderIsReplacedAndProposalsGoOn()
    {
        await using var cluster = new InProcessCluster(3);
        var leader = await cluster.WaitForLeader();
        var epoch = cluster.Nodes[leader].Leader.Epoch;
        await cluster.Nodes[leader].ProposeAsync([7]);
        await cluster.Kill(leader);

        var next = await cluster.WaitForLeader(epoch + 1);
        Assert.NotEqual(leader, next);
        var other = cluster.Nodes.Keys.Single(id => id != leader && id != next);
        await cluster.Nodes[next].ProposeAsync([8]);
        await cluster.Nodes[other].ProposeAsync([9]);
        await InProcessCluster.WaitUntil(() => new[] { next, other }.All(id => cluster.Listeners[id].Has([7]) && cluster.Listeners[id].Has([9])), "the survivors applied everything");
        var proposal = await Assert.ThrowsAsync<QuorumException>(() => cluster.Nodes[leader].ProposeAsync([1]));
        Assert.Equal(RaftErrors.BrokerNotAvailable, proposal.ErrorCode);
    }

    [Fact]
    public async Task ALeaderWithoutFollowersTimesProposalsOut()
    {
        await using var cluster = new InProcessCluster(3, requestTimeoutMs: 300, fetchTimeoutMs: 2000);
        var leader = await cluster.WaitForLeader();
        foreach (var id in cluster.Nodes.Keys.Where(id => id != leader).ToList())
            await cluster.Kill(id);
        var error = await Assert.ThrowsAsync<QuorumException>(() => cluster.Nodes[leader].ProposeAsync([3]));
        Assert.Equal(RaftErrors.RequestTimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task WithoutALeaderProposalsFailAtOnce()
    {
        var config = new QuorumConfig(1, [1, 2, 3], "lonely", ElectionTimeoutMs: 60_000);
        await using var node = new QuorumNode(config, new MemoryRaftLog(), new MemoryQuorumStateStore(), new Unreachable(), new InProcessCluster.Recorder(), seed: 1);
        node.Start();
        var error = await Assert.ThrowsAsync<QuorumException>(() => node.ProposeAsync([1]));
        Assert.Equal(RaftErrors.NotLeaderOrFollower, error.ErrorCode);
        var response = await node.HandleAsync(new FetchRequest("lonely", 2, 0, 0, 0, 100));
        Assert.Equal(RaftErrors.NotLeaderOrFollower, response.ErrorCode);
    }

    [Fact]
    public async Task ASingleVoterNodeCommitsAlone()
    {
        var recorder = new InProcessCluster.Recorder();
        await using var node = new QuorumNode(new QuorumConfig(5, [5], "solo"), new MemoryRaftLog(), new MemoryQuorumStateStore(), new Unreachable(), recorder);
        node.Start();
        var offsets = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => node.ProposeAsync([(byte)(i + 1)])));
        Assert.Equal(50, offsets.Distinct().Count());
        Assert.Equal(new LeaderAndEpoch(5, 1), node.Leader);
        await InProcessCluster.WaitUntil(() => recorder.Committed.Count == 50, "all 50 were applied");
    }

    private sealed class Unreachable : IRaftTransport
    {
        public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => Task.Run(() => onResponse(null));
    }
}
