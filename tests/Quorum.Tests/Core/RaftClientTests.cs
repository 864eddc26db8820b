using KafkaOperator.Quorum.Control;

namespace KafkaOperator.Quorum.Tests.Core;

public sealed class RaftClientTests
{
    [Fact]
    public void ASingleVoterElectsItselfAtOnceAndCommitsAlone()
    {
        var h = new Harness(1, [1]);
        h.Core.Initialize(0);
        Assert.True(h.Core.IsLeader);
        Assert.Equal(new LeaderAndEpoch(1, 1), h.Core.Leader);
        Assert.Equal(new LeaderAndEpoch(1, 1), h.LeaderChanges[^1]);
        Assert.Equal(new QuorumState(1, 1, 1), h.Store.Read());

        var a = h.Core.Propose([1], 0);
        var b = h.Core.Propose([2], 0);
        Assert.Equal(1, h.Log.FlushedOffset);
        var flushes = h.Log.FlushCount;
        h.Core.Poll(0);
        Assert.Equal(3, h.Core.HighWatermark);
        // Group commit: both proposals became durable in one flush.
        Assert.Equal(flushes + 1, h.Log.FlushCount);
        Assert.Equal([a, b], h.Committed.Select(e => e.Offset));
        Assert.Empty(h.Sent);
    }

    [Fact]
    public void ARestartedSingleVoterReplaysItsLogAndLeadsANewEpoch()
    {
        var h = new Harness(1, [1]);
        h.Core.Initialize(0);
        h.Core.Propose([7], 0);
        h.Core.Poll(0);
        var again = new RaftClient(h.Config, h.Log, h.Store, h, h, new Random(2), action => action(h.Now));
        h.Committed.Clear();
        again.Initialize(10);
        again.Poll(10);
        Assert.Equal(2, again.Epoch);
        Assert.Equal([7], h.Committed.Single().Payload);
    }

    [Fact]
    public void ALeaderOpensAnEpochAfterTheFirstWithKafkasLeaderChangeMessage()
    {
        var h = new Harness(1, [1]);
        h.Core.Initialize(0);
        h.Core.Poll(0);
        var again = new RaftClient(h.Config, h.Log, h.Store, h, h, new Random(2), action => action(h.Now));
        again.Initialize(10);
        // Epoch 1 wrote the voter set (kraft.version 1); epoch 2 opens with LEADER_CHANGE: leader 1, voters [1], granted by 1.
        var entry = h.Log.Read(1, 100).Single();
        Assert.Equal((1L, 2), (entry.Offset, entry.Epoch));
        Assert.Equal(((byte)1, (byte)ControlRecordType.LeaderChange), ControlEntry.Header(entry.Payload));
        var message = ControlMessages.DecodeLeaderChange(ControlEntry.Value(entry.Payload));
        Assert.Equal(1, message.LeaderId);
        Assert.Equal([1], message.Voters);
        Assert.Equal([1], message.GrantingVoters);
    }

    [Fact]
    public void AVoteIsRefusedToALessUpToDateCandidateAndGrantedOnceDurably()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Log.Append([new RaftEntry(0, 1, [1]), new RaftEntry(1, 2, [2])]);
        h.Log.Flush();
        h.Core.Initialize(0);

        var behind = (VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 2, 1, 5, false), 0);
        Assert.False(behind.VoteGranted);
        var shorter = (VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 2, 2, 1, false), 0);
        Assert.False(shorter.VoteGranted);
        Assert.Equal(3, h.Core.Epoch);

        var upToDate = (VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 3, 2, 2, false), 0);
        Assert.True(upToDate.VoteGranted);
        Assert.Equal(new QuorumState(3, 3, -1), h.Store.Read());
        // One vote per epoch, even for a better candidate.
        var second = (VoteResponse)h.Core.Handle(new VoteRequest("c", 3, 2, 9, 9, false), 0);
        Assert.False(second.VoteGranted);
        var stale = (VoteResponse)h.Core.Handle(new VoteRequest("c", 2, 2, 9, 9, false), 0);
        Assert.Equal(RaftErrors.FencedLeaderEpoch, stale.ErrorCode);
        Assert.Equal(3, stale.LeaderEpoch);
        var foreign = h.Core.Handle(new VoteRequest("other", 4, 2, 9, 9, false), 0);
        Assert.Equal(RaftErrors.InconsistentClusterId, foreign.ErrorCode);
    }

    [Fact]
    public void ACandidatePersistsItsVoteBeforeAskingAndWinsWithAMajority()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(0);
        h.ElapseUntilCandidate();
        Assert.Equal(new QuorumState(1, 1, -1), h.Store.Read());
        var votes = h.Take<VoteRequest>();
        Assert.Equal([2, 3], votes.Select(v => v.To).Order());
        votes[0].Reply(new VoteResponse(RaftErrors.None, -1, 1, true));
        Assert.True(h.Core.IsLeader);
        // The new leader announces itself and opens its epoch with a control entry; the first one writes the
        // config's voter set into the log (kraft.version 1, KIP-853).
        Assert.Equal(2, h.Take<BeginQuorumEpochRequest>().Count);
        Assert.Equal(new RaftEntry(0, 1, []), h.Log.Read(0, 100).Single() with { Payload = [] });
        var voters = Voters.VotersRecord.TryDecode(h.Log.Read(0, 100).Single().Payload);
        Assert.NotNull(voters);
        Assert.Equal([1, 2, 3], voters.Ids);
        Assert.Equal(1, voters.KRaftVersion);
        Assert.Equal(1, h.Core.KRaftVersion);
    }

    [Fact]
    public void TheLeaderCommitsOnAMajorityOfFetchesAndReportsVoters()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(0);
        h.BecomeLeader();
        var offset = h.Core.Propose([9], h.Now);
        h.Core.Poll(h.Now);
        Assert.Equal(0, h.Core.HighWatermark);

        var fetch = (FetchResponse)h.Core.Handle(new FetchRequest("c", 2, 1, 0, 0, 1000), h.Now);
        Assert.Equal(2, fetch.Entries.Count);
        Assert.Equal(0, h.Core.HighWatermark);
        var next = (FetchResponse)h.Core.Handle(new FetchRequest("c", 2, 1, 2, 1, 1000), h.Now + 3);
        Assert.Equal(2, next.HighWatermark);
        Assert.Equal(offset, h.Committed.Single().Offset);
        var voters = h.Core.DescribeVoters(h.Now + 5);
        Assert.Equal(new VoterState(1, 2, h.Now + 5), voters[0]);
        Assert.Equal(new VoterState(2, 2, h.Now + 3), voters[1]);
        Assert.Equal(new VoterState(3, -1, -1), voters[2]);

        var stale = (FetchResponse)h.Core.Handle(new FetchRequest("c", 3, 0, 0, 0, 1000), h.Now);
        Assert.Equal(RaftErrors.FencedLeaderEpoch, stale.ErrorCode);
        Assert.Equal(1, stale.LeaderId);
    }

    [Fact]
    public void SettingTheBrokerEpochSendsAFreshFetchCarryingItAndTheOldAnswerIsIgnored()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        h.Core.Poll(0);
        var (_, held, oldReply) = Assert.Single(h.Take<FetchRequest>());
        Assert.Equal(-1, held.BrokerEpoch);

        h.Core.SetBrokerEpoch(17, 5);
        var (to, fresh, _) = Assert.Single(h.Take<FetchRequest>());
        Assert.Equal((1, 17L), (to, fresh.BrokerEpoch));

        // The leader answers the replaced fetch at once; that answer no longer counts and sends nothing.
        oldReply(new FetchResponse(RaftErrors.None, 1, 4, 0, 0, -1, -1, []));
        h.Core.Poll(6);
        Assert.Empty(h.Take<FetchRequest>());
    }

    [Fact]
    public void TheLeaderReportsTheNewestBrokerEpochAFollowersFetchesCarriedAndWhen()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(0);
        h.BecomeLeader();
        h.Core.SetBrokerEpoch(40, h.Now);
        h.Core.Handle(new FetchRequest("c", 2, 1, 0, 0, 1000, BrokerEpoch: 30), h.Now);
        Assert.True(h.Core.BrokerEpochRaised);
        h.Core.BrokerEpochRaised = false;
        // A restarted process, not registered again: its fetch is seen, its epoch says nothing.
        h.Core.Handle(new FetchRequest("c", 2, 1, 0, 0, 1000), h.Now + 7);
        Assert.False(h.Core.BrokerEpochRaised);

        var voters = h.Core.DescribeVoters(h.Now + 9);
        Assert.Equal(new VoterState(1, voters[0].EndOffset, h.Now + 9, 40, h.Now + 9), voters[0]);
        Assert.Equal(new VoterState(2, 0, h.Now + 7, 30, h.Now), voters[1]);

        h.Core.Handle(new FetchRequest("c", 2, 1, 0, 0, 1000, BrokerEpoch: 50), h.Now + 11);
        Assert.True(h.Core.BrokerEpochRaised);
        Assert.Equal(new VoterState(2, 0, h.Now + 11, 50, h.Now + 11), h.Core.DescribeVoters(h.Now + 12)[1]);
    }

    [Fact]
    public void TheLeaderAnswersADivergedFetchWithWhereItsEpochEnds()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Log.Append([new RaftEntry(0, 1, [1]), new RaftEntry(1, 1, [2])]);
        h.Log.Flush();
        h.Store.Write(new QuorumState(2, -1, -1));
        h.Core.Initialize(0);
        h.BecomeLeader();
        // The follower holds epoch 2 entries at 2..4 that this leader (epoch 3, control entry at 2) never had.
        var response = (FetchResponse)h.Core.Handle(new FetchRequest("c", 2, 3, 5, 2, 1000), h.Now);
        Assert.Equal(1, response.DivergingEpoch);
        Assert.Equal(2, response.DivergingEndOffset);
        Assert.Empty(response.Entries);
    }

    [Fact]
    public void EarlierEpochsEntriesCommitOnlyWithAnEntryOfTheLeadersEpoch()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Log.Append([new RaftEntry(0, 1, [1]), new RaftEntry(1, 1, [2])]);
        h.Log.Flush();
        h.Store.Write(new QuorumState(2, -1, -1));
        h.Core.Initialize(0);
        h.BecomeLeader();
        // A majority holds the epoch-1 entries, but not yet this epoch's control entry at 2: nothing commits (Raft's
        // rule against the "figure 8" loss of entries a later leader overwrites).
        h.Core.Handle(new FetchRequest("c", 2, 3, 2, 1, 1000), h.Now);
        Assert.Equal(0, h.Core.HighWatermark);
        h.Core.Handle(new FetchRequest("c", 2, 3, 3, 3, 1000), h.Now);
        Assert.Equal(3, h.Core.HighWatermark);
        Assert.Equal(2, h.Committed.Count);
    }

    [Fact]
    public void ADivergedFollowerTruncatesAndRefetches()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Log.Append([new RaftEntry(0, 1, [1]), new RaftEntry(1, 1, [2]), new RaftEntry(2, 2, [3]), new RaftEntry(3, 2, [4])]);
        h.Log.Flush();
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 3), 0);
        Assert.Equal(new LeaderAndEpoch(1, 3), h.Core.Leader);
        h.Core.Poll(0);
        var (to, fetch, reply) = h.Take<FetchRequest>().Single();
        Assert.Equal(1, to);
        Assert.Equal((4L, 2), (fetch.FetchOffset, fetch.LastFetchedEpoch));

        reply(new FetchResponse(RaftErrors.None, 1, 3, 1, 0, 1, 2, []));
        Assert.Equal(2, h.Log.EndOffset);
        var again = h.Take<FetchRequest>().Single().Request;
        Assert.Equal((2L, 1), (again.FetchOffset, again.LastFetchedEpoch));
        h.Take<FetchRequest>();
    }

    [Fact]
    public void AFollowerAppendsFlushesAndCommitsUpToTheLeadersHighWatermark()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 1), 0);
        h.Core.Poll(0);
        var first = h.Take<FetchRequest>().Single();
        first.Reply(new FetchResponse(RaftErrors.None, 1, 1, 2, 0, -1, -1, [new RaftEntry(0, 1, []), new RaftEntry(1, 1, [5]), new RaftEntry(2, 1, [6])]));
        Assert.Equal(3, h.Log.FlushedOffset);
        Assert.Equal(2, h.Core.HighWatermark);
        Assert.Equal([5], h.Committed.Single().Payload);
        // Every answer, with entries or without, is followed by the next fetch at once: the leader holds it
        // (long poll) up to its max wait, and it carries the high watermark known here.
        var second = h.Take<FetchRequest>().Single();
        Assert.Equal((3L, 2L, h.Config.FetchWaitMs), (second.Request.FetchOffset, second.Request.HighWatermark, second.Request.MaxWaitMs));
        second.Reply(new FetchResponse(RaftErrors.None, 1, 1, 3, 0, -1, -1, []));
        Assert.Equal([5, 6], h.Committed.Select(e => (int)e.Payload[0]));
        var third = h.Take<FetchRequest>().Single();
        Assert.Equal((3L, 3L), (third.Request.FetchOffset, third.Request.HighWatermark));
    }

    [Fact]
    public void ASilentLeaderMeansAnElectionAndAHigherEpochMeansFollowing()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 4), 0);
        h.Core.Poll(0);
        h.Sent.Clear();
        h.Core.Poll(h.Config.FetchTimeoutMs);
        // Pre-vote first: same epoch, nothing recorded; a granted pre-vote makes a majority with its own.
        Assert.Equal("Prospective", h.Core.Role);
        Assert.Equal(new LeaderAndEpoch(-1, 4), h.Core.Leader);
        var preVote = h.TakePreVotes()[0];
        Assert.Equal(4, preVote.Request.CandidateEpoch);
        Assert.Equal(new QuorumState(4, -1, 1), h.Store.Read());
        preVote.Reply(new VoteResponse(RaftErrors.None, -1, 4, true));
        Assert.Equal("Candidate", h.Core.Role);
        Assert.Equal(5, h.Core.Epoch);
        var vote = h.Take<VoteRequest>()[0];
        Assert.False(vote.Request.PreVote);
        vote.Reply(new VoteResponse(RaftErrors.FencedLeaderEpoch, 3, 7, false));
        Assert.Equal(new LeaderAndEpoch(3, 7), h.Core.Leader);
        Assert.Equal(new QuorumState(7, -1, 3), h.Store.Read());
    }

    [Fact]
    public void AnObserverNeverStands()
    {
        var h = new Harness(9, [1, 2, 3]);
        h.Core.Initialize(0);
        // KIP-853: it answers a candidate that counts it (its own voter set may be stale), but never stands.
        var vote = (VoteResponse)h.Core.Handle(new VoteRequest("c", 1, 1, 0, 0, false), 0);
        Assert.True(vote.VoteGranted);
        for (var t = 0; t < 2000; t += 50)
            h.Core.Poll(t);
        Assert.Empty(h.Take<VoteRequest>());
        Assert.NotEqual("Candidate", h.Core.Role);
    }
}
