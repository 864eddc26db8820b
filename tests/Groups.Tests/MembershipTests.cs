using KafkaOperator.Protocol;
using static KafkaOperator.Groups.Tests.Helpers;

namespace KafkaOperator.Groups.Tests;

public sealed class MembershipTests : IDisposable
{
    private readonly CoordinatorFixture _f = new();

    private GroupCoordinator C => _f.Coordinator;

    public void Dispose() => _f.Dispose();

    private (JoinGroupResult A, JoinGroupResult B) StableWithTwo()
    {
        var a = JoinAlone(C);
        var bJoin = C.JoinGroupAsync(Join());
        var aJoin = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        var b = Completed(bJoin);
        var bSync = C.SyncGroupAsync(Sync(b));
        Completed(C.SyncGroupAsync(Sync(aJoin, (aJoin.MemberId, [1]), (b.MemberId, [2]))));
        Completed(bSync);
        return (aJoin, b);
    }

    [Fact]
    public void Member_without_heartbeats_expires_after_the_session_timeout()
    {
        var (a, b) = StableWithTwo();
        _f.Time.Advance(9000);
        Assert.Equal(ErrorCode.None, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
        _f.Time.Advance(1001);
        Assert.Equal(ErrorCode.RebalanceInProgress, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat(GroupId, b.GenerationId, b.MemberId, null));
        var again = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        Assert.Equal(a.GenerationId + 1, again.GenerationId);
        Assert.Single(again.MemberList);
    }

    [Fact]
    public void Members_that_do_not_rejoin_are_dropped_at_the_rebalance_timeout()
    {
        var (a, b) = StableWithTwo();
        var cJoin = C.JoinGroupAsync(Join(rebalanceTimeoutMs: 30_000));
        var aJoin = C.JoinGroupAsync(Join(memberId: a.MemberId));
        for (var i = 0; i < 5; i++)
        {
            _f.Time.Advance(5000);
            C.Heartbeat(GroupId, b.GenerationId, b.MemberId, null);
        }
        Assert.False(cJoin.IsCompleted);
        _f.Time.Advance(5000);
        var c = Completed(cJoin);
        Assert.Equal(ErrorCode.None, c.Error);
        Assert.Equal(2, Completed(aJoin).MemberList.Count);
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat(GroupId, c.GenerationId, b.MemberId, null));
    }

    [Fact]
    public void Leave_rebalances_and_the_last_leave_empties_the_group()
    {
        var (a, b) = StableWithTwo();
        var left = C.LeaveGroup(GroupId, [new LeavingMember(b.MemberId, null), new LeavingMember("ghost", null)]);
        Assert.Equal([ErrorCode.None, ErrorCode.UnknownMemberId], left.MemberErrors);
        Assert.Equal(GroupState.PreparingRebalance, C.DescribeGroup(GroupId).State);
        var aJoin = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        Assert.Single(aJoin.MemberList);
        C.LeaveGroup(GroupId, [new LeavingMember(a.MemberId, null)]);
        var described = C.DescribeGroup(GroupId);
        Assert.Equal(GroupState.Empty, described.State);
        Assert.Empty(described.Members);
        Assert.Equal([ErrorCode.UnknownMemberId], C.LeaveGroup("no-such-group", [new LeavingMember("x", null)]).MemberErrors);
    }

    [Fact]
    public void Static_member_rejoining_with_same_metadata_keeps_its_assignment_without_rebalance()
    {
        var a = JoinAlone(C, assignment: [4, 2], instanceId: "pod-0");
        var rejoined = Completed(C.JoinGroupAsync(Join(instanceId: "pod-0")));
        Assert.Equal(ErrorCode.None, rejoined.Error);
        Assert.NotEqual(a.MemberId, rejoined.MemberId);
        Assert.Equal(a.GenerationId, rejoined.GenerationId);
        Assert.Equal(rejoined.MemberId, rejoined.LeaderId);
        Assert.True(rejoined.SkipAssignment);
        Assert.Equal(GroupState.Stable, C.DescribeGroup(GroupId).State);
        var synced = Completed(C.SyncGroupAsync(new SyncGroupParams(GroupId, rejoined.GenerationId, rejoined.MemberId, "pod-0", null, null, [])));
        Assert.Equal([4, 2], synced.Assignment);
        Assert.Equal(ErrorCode.FencedInstanceId, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, "pod-0"));
        Assert.Equal(ErrorCode.FencedInstanceId, Completed(C.JoinGroupAsync(Join(memberId: a.MemberId, instanceId: "pod-0"))).Error);
    }

    [Fact]
    public void Static_member_rejoining_with_changed_metadata_rebalances()
    {
        var a = JoinAlone(C, instanceId: "pod-0");
        var rejoin = C.JoinGroupAsync(Join(instanceId: "pod-0", metadata: Subscription(CoordinatorFixture.Topic, "other")));
        var result = Completed(rejoin);
        Assert.Equal(a.GenerationId + 1, result.GenerationId);
    }

    [Fact]
    public void Static_member_leaves_by_instance_id()
    {
        var a = JoinAlone(C, instanceId: "pod-0");
        Assert.Equal([ErrorCode.FencedInstanceId], C.LeaveGroup(GroupId, [new LeavingMember("other-id", "pod-0")]).MemberErrors);
        Assert.Equal([ErrorCode.None], C.LeaveGroup(GroupId, [new LeavingMember("", "pod-0")]).MemberErrors);
        Assert.Equal(GroupState.Empty, C.DescribeGroup(GroupId).State);
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
    }

    [Fact]
    public void Cooperative_rejoin_in_stable_with_owned_partitions_starts_a_new_generation()
    {
        var (a, b) = StableWithTwo();
        // An unchanged follower rejoin is answered with the current generation.
        var same = Completed(C.JoinGroupAsync(Join(memberId: b.MemberId)));
        Assert.Equal(b.GenerationId, same.GenerationId);
        Assert.Equal(GroupState.Stable, C.DescribeGroup(GroupId).State);
        // Cooperative-sticky clients rejoin with their owned partitions in the subscription: a new generation.
        var owned = Subscription(CoordinatorFixture.Topic, "extra");
        var bJoin = C.JoinGroupAsync(Join(memberId: b.MemberId, metadata: owned));
        Assert.False(bJoin.IsCompleted);
        var aJoin = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        Assert.Equal(b.GenerationId + 1, Completed(bJoin).GenerationId);
        Assert.Contains(aJoin.MemberList, m => m.MemberId == b.MemberId && m.Metadata.SequenceEqual(owned));
    }

    [Fact]
    public void Joins_are_answered_in_completing_rebalance_when_a_response_was_lost()
    {
        var a = Completed(C.JoinGroupAsync(Join()));
        var again = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        Assert.Equal(a.GenerationId, again.GenerationId);
        Assert.Single(again.MemberList);
    }
}
