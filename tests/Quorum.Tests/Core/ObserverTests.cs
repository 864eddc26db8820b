namespace KafkaOperator.Quorum.Tests.Core;

/// <summary>
/// Observers (process.roles=broker): nodes outside the voter set that follow the metadata log. They find the leader
/// through the voters or bootstrap servers, never vote or stand, and the leader tracks them without counting them.
/// </summary>
public sealed class ObserverTests
{
    [Fact]
    public void AnObserverNeverStandsAndAsksAVoterForTheLeader()
    {
        var h = new Harness(4, [1, 2, 3]);
        h.Core.Initialize(h.Now);
        for (var i = 0; i < 200; i++)
        {
            h.Now += 10;
            h.Core.Poll(h.Now);
            Assert.Empty(h.Take<VoteRequest>());
            Assert.True(h.Core.Role is "Unattached" or "Follower", h.Core.Role);
            // Discovery fetches go to voters with the observer's own id; none answers here.
            foreach (var (to, fetch, reply) in h.Take<FetchRequest>())
            {
                Assert.Contains(to, new[] { 1, 2, 3 });
                Assert.Equal(4, fetch.ReplicaId);
                reply(null);
            }
        }
        Assert.False(h.Core.IsVoter);

        // A voter names the leader of a newer epoch: the observer follows it and fetches from it.
        h.Now += 10;
        h.Core.Poll(h.Now);
        var (_, discovery, answer) = Assert.Single(h.Take<FetchRequest>());
        answer(new FetchResponse(RaftErrors.NotLeaderOrFollower, 2, 5, -1, 0, -1, -1, []));
        Assert.Equal(new LeaderAndEpoch(2, 5), h.Core.Leader);
        Assert.Equal("Follower", h.Core.Role);
        h.Core.Poll(h.Now);
        var (leader, next, _) = Assert.Single(h.Take<FetchRequest>());
        Assert.Equal(2, leader);
        Assert.Equal(5, next.ReplicaEpoch);
        Assert.True(discovery.ReplicaEpoch < 5);
    }

    /// <summary>
    /// KIP-853: a node votes when a candidate asks, whether or not its own voter set (perhaps stale: a voter change
    /// that added it may not have reached it) has it; only the candidate's set decides whose votes count. It still
    /// votes once per epoch, durably, and never stands.
    /// </summary>
    [Fact]
    public void AnObserverVotesWhenAskedButNeverStands()
    {
        var h = new Harness(4, [1, 2, 3]);
        h.Core.Initialize(h.Now);
        var preVote = (VoteResponse)h.Core.Handle(new VoteRequest("c", 1, 2, 0, 0, PreVote: true), h.Now);
        Assert.True(preVote.VoteGranted);
        var vote = (VoteResponse)h.Core.Handle(new VoteRequest("c", 1, 1, 0, 0, PreVote: false), h.Now);
        Assert.True(vote.VoteGranted);
        Assert.Equal(new QuorumState(1, 1, -1), h.Store.Read());
        var second = (VoteResponse)h.Core.Handle(new VoteRequest("c", 1, 2, 0, 0, PreVote: false), h.Now);
        Assert.False(second.VoteGranted);
        for (var i = 0; i < 100; i++)
        {
            h.Now += 10;
            h.Core.Poll(h.Now);
        }
        Assert.Empty(h.Take<VoteRequest>());
        Assert.False(h.Core.IsVoter);
    }

    [Fact]
    public void TheLeaderTracksObserversWithoutCountingThemForTheCommit()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(h.Now);
        h.BecomeLeader();
        var epoch = h.Core.Epoch;
        h.Core.Propose([1], h.Now);
        h.Core.Poll(h.Now);
        var end = h.Log.EndOffset;

        // Two observers hold everything: still no majority of voters, so nothing commits.
        foreach (var observer in new[] { 4, 5 })
            h.Core.Handle(new FetchRequest("c", observer, epoch, end, epoch, 1 << 20), h.Now);
        Assert.Equal(0, h.Core.HighWatermark);
        Assert.Equal([4, 5], h.Core.DescribeObservers(h.Now).Select(o => o.Id));
        Assert.All(h.Core.DescribeObservers(h.Now), o => Assert.Equal(end, o.EndOffset));
        Assert.Equal([1, 2, 3], h.Core.DescribeVoters(h.Now).Select(v => v.Id));

        // One voter more makes the majority.
        h.Core.Handle(new FetchRequest("c", 2, epoch, end, epoch, 1 << 20), h.Now);
        Assert.Equal(end, h.Core.HighWatermark);

        // An observer silent for five minutes is forgotten.
        h.Now += RaftClient.ObserverExpiryMs + 1;
        Assert.Empty(h.Core.DescribeObservers(h.Now));
    }

    [Fact]
    public void AnObserverWithBootstrapServersLearnsWhereTheLeaderIs()
    {
        var config = new QuorumConfig(7, [], "c", ElectionTimeoutMs: 100, FetchTimeoutMs: 200, RequestTimeoutMs: 100, Bootstrap: [-2, -3]);
        var h = new Harness(config);
        h.Core.Initialize(h.Now);
        h.Core.Poll(h.Now);
        var (to, _, reply) = Assert.Single(h.Take<FetchRequest>());
        Assert.Contains(to, new[] { -2, -3 });
        reply(new FetchResponse(RaftErrors.NotLeaderOrFollower, 1, 3, -1, 0, -1, -1, [], "controller-1:9093"));
        Assert.Equal([(1, "controller-1:9093")], h.Learned);
        Assert.Equal(new LeaderAndEpoch(1, 3), h.Core.Leader);
        h.Core.Poll(h.Now);
        var (leader, fetch, _) = Assert.Single(h.Take<FetchRequest>());
        Assert.Equal(1, leader);
        Assert.Equal(7, fetch.ReplicaId);
    }

    [Fact]
    public void AVoterTellsAnObserverTheLeadersAddress()
    {
        var endpoints = new Dictionary<int, string> { [1] = "a:1", [2] = "b:2", [3] = "c:3" };
        var config = new QuorumConfig(1, [1, 2, 3], "c", ElectionTimeoutMs: 100, FetchTimeoutMs: 200, RequestTimeoutMs: 100, Endpoints: endpoints);
        var h = new Harness(config);
        h.Core.Initialize(h.Now);
        h.BecomeLeader();
        var answer = (FetchResponse)h.Core.Handle(new FetchRequest("c", 9, h.Core.Epoch, 0, 0, 1 << 20), h.Now);
        Assert.Equal("a:1", answer.LeaderEndpoint);
        var stale = (FetchResponse)h.Core.Handle(new FetchRequest("c", 9, 0, 0, 0, 1 << 20), h.Now);
        Assert.Equal(RaftErrors.FencedLeaderEpoch, stale.ErrorCode);
        Assert.Equal("a:1", stale.LeaderEndpoint);
    }
}
