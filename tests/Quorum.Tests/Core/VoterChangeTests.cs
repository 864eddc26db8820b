using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Tests.Core;

/// <summary>Voter changes (KIP-853) on one core, the other members played by hand: Kafka's refusals, and the voter set following the log.</summary>
public sealed class VoterChangeTests
{
    /// <summary>Leader 1 of [1, 2, 3] with its epoch's entry committed (2 fetched it) and observer 4 caught up.</summary>
    private static Harness CommittedLeader()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(0);
        h.BecomeLeader();
        Fetch(h, 2);
        Fetch(h, 4);
        Assert.Equal(h.Log.EndOffset, h.Core.HighWatermark);
        return h;
    }

    private static FetchResponse Fetch(Harness h, int replica) =>
        (FetchResponse)h.Core.Handle(new FetchRequest("c", replica, h.Core.Epoch, h.Log.EndOffset, h.Log.LastEpoch, 1000, HighWatermark: h.Core.HighWatermark), h.Now);

    [Fact]
    public void AVoteFromANonVoterWhoseLogIsBehindIsRefusedWithoutDisturbingTheEpoch()
    {
        var h = new Harness(2, [1, 2, 3]);
        h.Log.Append([new RaftEntry(0, 3, [1]), new RaftEntry(1, 3, [2])]);
        h.Log.Flush();
        h.Store.Write(new QuorumState(3, -1, 1));
        h.Core.Initialize(0);
        Assert.Equal(new LeaderAndEpoch(1, 3), h.Core.Leader);

        var vote = (VoteResponse)h.Core.Handle(new VoteRequest("c", 7, 9, 3, 1, PreVote: false), h.Now);
        Assert.False(vote.VoteGranted);
        Assert.Equal(new LeaderAndEpoch(1, 3), h.Core.Leader);
        Assert.Equal(new QuorumState(3, -1, 1), h.Store.Read());

        // One whose log is ahead may be a voter this node has not heard of yet: it gets the vote.
        var ahead = (VoteResponse)h.Core.Handle(new VoteRequest("c", 7, 9, 3, 5, PreVote: false), h.Now);
        Assert.True(ahead.VoteGranted);
        Assert.Equal(new QuorumState(7, 9, -1), h.Store.Read());
    }

    [Fact]
    public void AddingANodeThatHasNotCaughtUpTimesOut()
    {
        var h = CommittedLeader();
        var never = h.Core.AddVoter(new Voter(5, Guid.Empty, "h5:9093"), h.Now);
        Assert.Equal(RaftErrors.RequestTimedOut, never.ErrorCode);
        Assert.Contains("lagging", never.Message, StringComparison.Ordinal);

        // 4 fetched from the high watermark, but longer ago than the fetch timeout.
        h.Now += h.Config.FetchTimeoutMs + 1;
        Assert.Equal(RaftErrors.RequestTimedOut, h.Core.AddVoter(new Voter(4, Guid.Empty, "h4:9093"), h.Now).ErrorCode);
        Assert.Equal([1, 2, 3], h.Core.VoterIds);
    }

    [Fact]
    public void OneChangeAtATimeAndOnlyOnceTheLeadersEpochIsCommitted()
    {
        var h = new Harness(1, [1, 2, 3]);
        h.Core.Initialize(0);
        h.BecomeLeader();
        Assert.Equal(RaftErrors.RequestTimedOut, h.Core.RemoveVoter(3, h.Now).ErrorCode);
        Fetch(h, 2);
        Fetch(h, 4);

        var add = h.Core.AddVoter(new Voter(4, Guid.Empty, "h4:9093"), h.Now);
        Assert.Equal(RaftErrors.None, add.ErrorCode);
        Assert.Equal([1, 2, 3, 4], h.Core.VoterIds);
        // Appended, not committed: a second change waits (Kafka answers REQUEST_TIMED_OUT).
        var second = h.Core.RemoveVoter(3, h.Now);
        Assert.Equal(RaftErrors.RequestTimedOut, second.ErrorCode);
        Assert.Contains("commit the latest voter change", second.Message, StringComparison.Ordinal);

        // The new set counts: 2 alone is no longer a majority of four, 2 and 4 are.
        h.Core.Poll(h.Now);
        Fetch(h, 2);
        Assert.True(h.Core.HighWatermark <= add.Offset);
        Fetch(h, 4);
        Assert.True(h.Core.HighWatermark > add.Offset);
        Assert.Equal(RaftErrors.None, h.Core.RemoveVoter(3, h.Now).ErrorCode);
        Assert.Equal([1, 2, 4], h.Core.VoterIds);
        Assert.Contains((4, "h4:9093"), h.Learned);
    }

    [Fact]
    public void RemovingAnUnknownVoterOrAddingAVoterAgainIsRefused()
    {
        var h = CommittedLeader();
        var unknown = h.Core.RemoveVoter(7, h.Now);
        Assert.Equal(RaftErrors.VoterNotFound, unknown.ErrorCode);
        Assert.Equal(RaftErrors.DuplicateVoter, h.Core.AddVoter(new Voter(2, Guid.Empty, ""), h.Now).ErrorCode);
        Assert.Equal(RaftErrors.VoterNotFound, h.Core.UpdateVoter(new Voter(7, Guid.Empty, "h7:1"), h.Now).ErrorCode);
        Assert.Equal(RaftErrors.None, h.Core.UpdateVoter(new Voter(2, Guid.Empty, "moved:9093"), h.Now).ErrorCode);
        Assert.Contains(h.Core.VoterSet.Voters, v => v.Id == 2 && v.Endpoint == "moved:9093");

        var follower = new Harness(2, [1, 2, 3]);
        follower.Core.Initialize(0);
        Assert.Equal(RaftErrors.NotLeaderOrFollower, follower.Core.RemoveVoter(3, 0).ErrorCode);
    }

    [Fact]
    public void AVoterSetAppendedThenTruncatedIsRolledBackAndARestartReadsTheLatestFromTheLog()
    {
        // A follower gets a voter set from leader 1, then the new leader of epoch 2 says its log diverges there.
        var h = new Harness(2, [1, 2, 3]);
        h.Core.Initialize(0);
        h.Core.Handle(new BeginQuorumEpochRequest("c", 1, 1), h.Now);
        h.Core.Poll(h.Now);
        var removal = new VotersRecord(1, [new Voter(1, Guid.Empty, ""), new Voter(2, Guid.Empty, "")]).Encode();
        var (_, fetch, reply) = Assert.Single(h.Take<FetchRequest>());
        reply(new FetchResponse(RaftErrors.None, 1, 1, 0, 0, -1, -1, [new RaftEntry(0, 1, new VotersRecord(1, [new Voter(1, Guid.Empty, ""), new Voter(2, Guid.Empty, ""), new Voter(3, Guid.Empty, "")]).Encode()), new RaftEntry(1, 1, removal)]));
        Assert.Equal([1, 2], h.Core.VoterIds);

        h.Core.Handle(new BeginQuorumEpochRequest("c", 3, 2), h.Now);
        h.Take<FetchRequest>();
        h.Core.Poll(h.Now);
        var (_, _, second) = Assert.Single(h.Take<FetchRequest>());
        second(new FetchResponse(RaftErrors.None, 3, 2, 1, 0, 1, 1, []));
        Assert.Equal(1, h.Log.EndOffset);
        Assert.Equal([1, 2, 3], h.Core.VoterIds);

        var restarted = new RaftClient(h.Config, h.Log, h.Store, h, h, new Random(3), action => action(h.Now));
        restarted.Initialize(h.Now);
        Assert.Equal([1, 2, 3], restarted.VoterIds);
        Assert.Equal(1, restarted.KRaftVersion);
        Assert.NotNull(fetch);
    }

    [Fact]
    public void ASnapshotCarriesTheVoterSetSoALogBelowItIsNotNeeded()
    {
        var h = new Harness(1, [1]);
        var snapshots = new MemorySnapshotStore();
        var listener = new SnapshotListener();
        var core = new RaftClient(h.Config, h.Log, h.Store, h, listener, new Random(1), action => action(h.Now));
        core.AttachSnapshots(snapshots, new SnapshotPolicy(MaxBytesBetweenSnapshots: 1, MaxIntervalMs: 0, Retained: 1), work => work(), _ => { });
        core.Initialize(0);
        core.Propose([1], 0);
        core.Poll(0);
        core.Poll(1);
        var id = Assert.Single(snapshots.List());
        Assert.True(h.Log.StartOffset > 0, "the log below the snapshot is gone");

        var restarted = new RaftClient(h.Config, h.Log, h.Store, h, listener, new Random(2), action => action(h.Now));
        restarted.AttachSnapshots(snapshots, new SnapshotPolicy(), work => work(), _ => { });
        restarted.Initialize(2);
        Assert.Equal(1, restarted.KRaftVersion);
        Assert.Equal([1], restarted.VoterIds);
        // The state machine gets its own bytes, without the voter set ahead of them.
        Assert.Equal([42], listener.Loaded);
        Assert.Equal(id.EndOffset, h.Log.StartOffset);
    }

    private sealed class SnapshotListener : IRaftSnapshotListener
    {
        public byte[]? Loaded { get; private set; }

        public void OnCommitted(IReadOnlyList<RaftEntry> entries)
        {
        }

        public void OnLeaderChange(LeaderAndEpoch leader)
        {
        }

        public void OnSnapshotLoaded(SnapshotId id, byte[] data) => Loaded = data;

        public Func<byte[]> CaptureSnapshot() => () => [42];
    }
}
