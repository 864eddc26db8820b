namespace KafkaOperator.Quorum.Tests.Core;

/// <summary>KIP-996: a voter that would stand first asks for pre-votes, which change nothing anywhere.</summary>
public sealed class PreVoteTests
{
    [Fact]
    public void APreVoteIsRefusedWhileTheLeaderIsLiveAndChangesNothing()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        var stored = h.Store.Read();

        var response = (VoteResponse)h.Core.Handle(new VoteRequest("c", 4, 3, 9, 99, PreVote: true), 10);
        Assert.False(response.VoteGranted);
        Assert.Equal((1, 4), (response.LeaderId, response.LeaderEpoch));
        Assert.Equal(new LeaderAndEpoch(1, 4), h.Core.Leader);
        Assert.Equal(stored, h.Store.Read());
    }

    [Fact]
    public void ThePreVoteIsGrantedOnceTheLeaderIsSilentForTheFetchTimeout()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        // Still a follower (its own fetch timeout is a moment later), but it has not heard from the leader for a
        // whole fetch timeout.
        var silent = h.Config.FetchTimeoutMs;
        var response = (VoteResponse)h.Core.Handle(new VoteRequest("c", 4, 3, 0, 0, PreVote: true), silent);
        Assert.True(response.VoteGranted);
        Assert.Equal(new QuorumState(4, -1, 1), h.Store.Read());
    }

    [Fact]
    public void ThePreVoteIsGrantedWhenTheLeaderResignedOrWasNeverHeardFrom()
    {
        var resigned = new Harness(2, [1, 2, 3]);
        resigned.Core.Initialize(0);
        resigned.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        resigned.Core.Handle(new EndQuorumEpochRequest("c", 1, 4, [3, 2]), 1);
        Assert.True(((VoteResponse)resigned.Core.Handle(new VoteRequest("c", 4, 3, 0, 0, PreVote: true), 2)).VoteGranted);

        // Restarted as the follower of a leader it has not heard from since.
        var restarted = new Harness(2, [1, 2, 3]);
        restarted.Store.Write(new QuorumState(4, -1, 1));
        restarted.Core.Initialize(0);
        Assert.Equal(new LeaderAndEpoch(1, 4), restarted.Core.Leader);
        Assert.True(((VoteResponse)restarted.Core.Handle(new VoteRequest("c", 4, 3, 0, 0, PreVote: true), 1)).VoteGranted);
    }

    [Fact]
    public void TheLeaderRefusesPreVotesAndAStaleLogIsRefusedEverywhere()
    {
        var leader = new Harness(1, [1, 2, 3]);
        leader.Core.Initialize(0);
        leader.BecomeLeader();
        var epoch = leader.Core.Epoch;
        var refused = (VoteResponse)leader.Core.Handle(new VoteRequest("c", epoch, 3, epoch, 99, PreVote: true), leader.Now);
        Assert.False(refused.VoteGranted);
        Assert.Equal((1, epoch), (refused.LeaderId, refused.LeaderEpoch));
        Assert.True(leader.Core.IsLeader);

        var voter = new Harness(2, [1, 2, 3]);
        voter.Log.Append([new RaftEntry(0, 1, [1]), new RaftEntry(1, 2, [2])]);
        voter.Log.Flush();
        voter.Store.Write(new QuorumState(2, -1, -1));
        voter.Core.Initialize(0);
        Assert.False(((VoteResponse)voter.Core.Handle(new VoteRequest("c", 2, 3, 1, 5, PreVote: true), 0)).VoteGranted);
        Assert.True(((VoteResponse)voter.Core.Handle(new VoteRequest("c", 2, 3, 2, 2, PreVote: true), 0)).VoteGranted);
        // Granting a pre-vote records nothing: the same voter still gives its real vote to someone else.
        Assert.Equal(new QuorumState(2, -1, -1), voter.Store.Read());
        Assert.True(((VoteResponse)voter.Core.Handle(new VoteRequest("c", 3, 1, 2, 2, false), 0)).VoteGranted);
    }

    [Fact]
    public void AProspectiveNodeBumpsTheEpochOnlyWithAMajorityOfPreVotes()
    {
        var h = new Harness(1, [1, 2, 3, 4, 5]);
        h.Store.Write(new QuorumState(6, -1, -1));
        h.Core.Initialize(0);
        for (var t = 0; t <= 2 * h.Config.ElectionTimeoutMs && h.Core.Role != "Prospective"; t += 5)
            h.Core.Poll(t);
        Assert.Equal("Prospective", h.Core.Role);
        var asked = h.TakePreVotes();
        Assert.Equal([2, 3, 4, 5], asked.Select(a => a.To).Order());
        Assert.All(asked, a => Assert.Equal(6, a.Request.CandidateEpoch));
        Assert.Empty(h.Take<VoteRequest>());

        asked[0].Reply(new VoteResponse(RaftErrors.None, -1, 6, true));
        asked[1].Reply(new VoteResponse(RaftErrors.None, -1, 6, false));
        asked[2].Reply(null);
        Assert.Equal("Prospective", h.Core.Role);
        Assert.Equal(new QuorumState(6, -1, -1), h.Store.Read());
        asked[3].Reply(new VoteResponse(RaftErrors.None, -1, 6, true));
        Assert.Equal("Candidate", h.Core.Role);
        Assert.Equal(new QuorumState(7, 1, -1), h.Store.Read());
        Assert.All(h.Take<VoteRequest>(), v => Assert.Equal((7, false), (v.Request.CandidateEpoch, v.Request.PreVote)));
    }

    [Fact]
    public void AProspectiveNodeStandsAtOnceWhenAVoterCannotBeAskedForAPreVote()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Store.Write(new QuorumState(6, -1, -1));
        h.Core.Initialize(0);
        for (var t = 0; t <= 2 * h.Config.ElectionTimeoutMs && h.Core.Role != "Prospective"; t += 5)
            h.Core.Poll(t);
        var asked = h.TakePreVotes();
        // The transport's answer for a voter whose ApiVersions lacks Vote v2 (as Kafka's KafkaRaftClient handles it).
        asked[0].Reply(new VoteResponse(RaftErrors.UnsupportedVersion, -1, -1, false));
        Assert.Equal("Candidate", h.Core.Role);
        Assert.Equal(new QuorumState(7, 1, -1), h.Store.Read());
        Assert.All(h.Take<VoteRequest>(), v => Assert.False(v.Request.PreVote));
    }

    [Fact]
    public void AProspectiveNodeToldOfThisEpochsLeaderFollowsItAndTheEpochStays()
    {
        var h = new Harness(3, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        h.Core.Poll(0);
        h.Sent.Clear();
        h.Now = h.Config.FetchTimeoutMs;
        h.Core.Poll(h.Now);
        Assert.Equal("Prospective", h.Core.Role);
        var asked = h.TakePreVotes();
        asked[0].Reply(new VoteResponse(RaftErrors.None, 1, 4, false));
        Assert.Equal("Follower", h.Core.Role);
        Assert.Equal(new LeaderAndEpoch(1, 4), h.Core.Leader);
        Assert.Equal(new QuorumState(4, -1, 1), h.Store.Read());
        h.Core.Poll(h.Now);
        Assert.Equal(1, Assert.Single(h.Take<FetchRequest>()).To);
    }

    [Fact]
    public void TheSuccessorOfAResigningLeaderStandsWithoutAPreVote()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        h.Core.Handle(new EndQuorumEpochRequest("c", 1, 4, [2, 3]), 5);
        h.Core.Poll(5);
        Assert.Equal("Candidate", h.Core.Role);
        Assert.Equal(5, h.Core.Epoch);
        Assert.Empty(h.TakePreVotes());
    }

    [Fact]
    public void AProspectiveNodeThatNeitherVotedNorFollowedMayStillVoteInItsEpoch()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Store.Write(new QuorumState(3, -1, -1));
        h.Core.Initialize(0);
        for (var t = 0; t <= 2 * h.Config.ElectionTimeoutMs && h.Core.Role != "Prospective"; t += 5)
            h.Core.Poll(t);
        var vote = (VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 3, 0, 0, false), 300);
        Assert.True(vote.VoteGranted);
        Assert.Equal(new QuorumState(3, 3, -1), h.Store.Read());
        Assert.False(((VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 1, 0, 0, false), 300)).VoteGranted);
    }
}
