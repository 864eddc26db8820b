namespace KafkaOperator.Quorum.Tests.Core;

/// <summary>The leader holds a follower's fetch that finds nothing new, and answers it as soon as something is.</summary>
public sealed class LongPollTests
{
    private const int Wait = 40;

    [Fact]
    public void AHeldFetchIsAnsweredWhenTheLeaderAppends()
    {
        var h = CaughtUpLeader();
        var answers = Fetch(h, 2, offset: 1, highWatermark: 1);
        Assert.Empty(answers);

        var offset = h.Core.Propose([7], h.Now);
        h.Core.Poll(h.Now);
        var answer = Assert.IsType<FetchResponse>(Assert.Single(answers));
        Assert.Equal(RaftErrors.None, answer.ErrorCode);
        Assert.Equal([offset], answer.Entries.Select(e => e.Offset));
        Assert.Equal([7], answer.Entries[0].Payload);
    }

    [Fact]
    public void AHeldFetchIsAnsweredWhenTheHighWatermarkMoves()
    {
        // Five voters: the leader and follower 3 alone are no majority, so follower 3 waits at the end of the log
        // until follower 2's fetch commits the entry; that new high watermark is news for follower 3.
        var h = CaughtUpLeader(5);
        h.Core.Propose([7], h.Now);
        h.Core.Poll(h.Now);
        Assert.Single(Assert.IsType<FetchResponse>(Assert.Single(Fetch(h, 3, offset: 1, highWatermark: 1))).Entries);
        var answers = Fetch(h, 3, offset: 2, highWatermark: 1);
        Assert.Empty(answers);
        Assert.Equal(1, h.Core.HighWatermark);

        Fetch(h, 2, offset: 2, highWatermark: 1);
        Assert.Equal(2, h.Core.HighWatermark);
        var answer = Assert.IsType<FetchResponse>(Assert.Single(answers));
        Assert.Equal((2L, 0), (answer.HighWatermark, answer.Entries.Count));
    }

    [Fact]
    public void AFetchThatMovesTheHighWatermarkOrLagsBehindItIsAnsweredAtOnce()
    {
        var h = CaughtUpLeader();
        h.Core.Propose([7], h.Now);
        h.Core.Poll(h.Now);
        // This follower's own fetch commits the entry: the new high watermark goes back in its answer.
        var own = Fetch(h, 2, offset: 1, highWatermark: 1);
        Assert.Single(Assert.IsType<FetchResponse>(Assert.Single(own)).Entries);
        var committing = Fetch(h, 2, offset: 2, highWatermark: 1);
        Assert.Equal(2, Assert.IsType<FetchResponse>(Assert.Single(committing)).HighWatermark);
        // A follower that does not know the high watermark yet (restarted, say) hears it at once too.
        var behind = Fetch(h, 3, offset: 2, highWatermark: 0);
        Assert.Single(behind);
        Assert.Empty(Fetch(h, 3, offset: 2, highWatermark: 2));
    }

    [Fact]
    public void AHeldFetchIsAnsweredEmptyAtItsMaxWait()
    {
        var h = CaughtUpLeader();
        var answers = Fetch(h, 2, offset: 1, highWatermark: 1);
        var next = h.Core.Poll(h.Now);
        Assert.True(next <= h.Now + Wait, $"the loop must wake for the held fetch's max wait, not at {next - h.Now} ms");
        h.Core.Poll(h.Now + Wait - 1);
        Assert.Empty(answers);
        h.Core.Poll(h.Now + Wait);
        var answer = Assert.IsType<FetchResponse>(Assert.Single(answers));
        Assert.Equal((RaftErrors.None, 1L, 0), (answer.ErrorCode, answer.HighWatermark, answer.Entries.Count));
        Assert.True(h.Core.IsLeader);
    }

    [Fact]
    public void TheMaxWaitIsTheShorterOfTheFollowersAndTheLeadersOwn()
    {
        var h = CaughtUpLeader();
        var answers = Fetch(h, 2, offset: 1, highWatermark: 1, maxWaitMs: int.MaxValue);
        h.Core.Poll(h.Now + h.Config.FetchWaitMs);
        Assert.Single(answers);
        Assert.Equal(50, h.Config.FetchWaitMs);
        Assert.Equal(30, (h.Config with { FetchMaxWaitMs = 30 }).FetchWaitMs);
        Assert.Equal(50, (h.Config with { FetchMaxWaitMs = 5000 }).FetchWaitMs);
        Assert.Equal(1000, new QuorumConfig(1, [1], "c").FetchWaitMs);
    }

    [Fact]
    public void HeldFetchesAreReleasedWhenTheLeaderResigns()
    {
        var h = CaughtUpLeader();
        var two = Fetch(h, 2, offset: 1, highWatermark: 1);
        var three = Fetch(h, 3, offset: 1, highWatermark: 1);
        Assert.True(h.Core.Resign(h.Now));
        foreach (var answers in new[] { two, three })
        {
            var answer = Assert.IsType<FetchResponse>(Assert.Single(answers));
            Assert.Equal((RaftErrors.NotLeaderOrFollower, -1, 1), (answer.ErrorCode, answer.LeaderId, answer.LeaderEpoch));
        }
    }

    [Fact]
    public void HeldFetchesAreReleasedWhenAHigherEpochTakesLeadershipAway()
    {
        var h = CaughtUpLeader();
        var answers = Fetch(h, 2, offset: 1, highWatermark: 1);
        h.Core.Handle(new VoteRequest("c", 2, 3, 1, 1, false), h.Now);
        Assert.False(h.Core.IsLeader);
        var answer = Assert.IsType<FetchResponse>(Assert.Single(answers));
        Assert.Equal((RaftErrors.FencedLeaderEpoch, 2), (answer.ErrorCode, answer.LeaderEpoch));
    }

    [Fact]
    public void ANewFetchFromTheSameFollowerAnswersTheOneItGaveUpOn()
    {
        var h = CaughtUpLeader();
        var old = Fetch(h, 2, offset: 1, highWatermark: 1);
        var fresh = Fetch(h, 2, offset: 1, highWatermark: 1);
        Assert.Single(old);
        Assert.Empty(fresh);
        h.Core.Close();
        Assert.Equal(RaftErrors.BrokerNotAvailable, Assert.Single(fresh).ErrorCode);
    }

    [Fact]
    public void AFetchWithoutAMaxWaitIsNeverHeld()
    {
        var h = CaughtUpLeader();
        var answer = (FetchResponse)h.Core.Handle(new FetchRequest("c", 2, 1, 1, 1, 1000), h.Now);
        Assert.Empty(answer.Entries);
        Assert.Throws<InvalidOperationException>(() => h.Core.Handle(new FetchRequest("c", 2, 1, 1, 1, 1000, Wait, 1), h.Now));
    }

    /// <summary>Node 1 leads epoch 1 of voters 1..n; every follower holds its control entry and knows high watermark 1.</summary>
    private static Harness CaughtUpLeader(int voters = 3)
    {
        var h = new Harness(1, [.. Enumerable.Range(1, voters)]);
        h.Core.Initialize(0);
        h.BecomeLeader();
        h.Sent.Clear();
        foreach (var id in Enumerable.Range(2, voters - 1))
        {
            h.Core.Handle(new FetchRequest("c", id, 1, 0, 0, 1000), h.Now);
            h.Core.Handle(new FetchRequest("c", id, 1, 1, 1, 1000), h.Now);
        }
        Assert.Equal(1, h.Core.HighWatermark);
        return h;
    }

    private static List<RaftResponse> Fetch(Harness h, int replica, long offset, long highWatermark, int maxWaitMs = Wait)
    {
        var answers = new List<RaftResponse>();
        var lastEpoch = offset == 0 ? 0 : h.Log.EpochAt(offset - 1);
        h.Core.Handle(new FetchRequest("c", replica, h.Core.Epoch, offset, lastEpoch, 1000, maxWaitMs, highWatermark), h.Now, answers.Add);
        return answers;
    }
}
