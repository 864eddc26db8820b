using KafkaOperator.Protocol;
using static KafkaOperator.Groups.Tests.Helpers;

namespace KafkaOperator.Groups.Tests;

public sealed class JoinSyncTests : IDisposable
{
    private readonly CoordinatorFixture _f = new();

    private GroupCoordinator C => _f.Coordinator;

    public void Dispose() => _f.Dispose();

    [Fact]
    public void First_member_leads_generation_one_and_gets_its_assignment()
    {
        var joined = Completed(C.JoinGroupAsync(Join()));
        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.LeaderId);
        Assert.Equal("range", joined.ProtocolName);
        Assert.Equal("consumer", joined.ProtocolType);
        Assert.Single(joined.MemberList);
        Assert.StartsWith("client-", joined.MemberId, StringComparison.Ordinal);
        Assert.Equal(GroupState.CompletingRebalance, C.DescribeGroup(GroupId).State);

        var synced = Completed(C.SyncGroupAsync(Sync(joined, (joined.MemberId, [7, 8]))));
        Assert.Equal(ErrorCode.None, synced.Error);
        Assert.Equal([7, 8], synced.Assignment);
        var described = C.DescribeGroup(GroupId);
        Assert.Equal(GroupState.Stable, described.State);
        Assert.Equal("range", described.ProtocolName);
        Assert.Equal([7, 8], Assert.Single(described.Members).Assignment);
    }

    [Fact]
    public void Member_id_required_from_v4_then_join_with_issued_id()
    {
        var first = Completed(C.JoinGroupAsync(Join(requireKnownMemberId: true)));
        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.NotEmpty(first.MemberId);
        var second = Completed(C.JoinGroupAsync(Join(memberId: first.MemberId, requireKnownMemberId: true)));
        Assert.Equal(ErrorCode.None, second.Error);
        Assert.Equal(first.MemberId, second.MemberId);
    }

    [Fact]
    public void Pending_member_id_expires_after_the_session_timeout()
    {
        var first = Completed(C.JoinGroupAsync(Join(requireKnownMemberId: true, sessionTimeoutMs: 5000)));
        _f.Time.Advance(5001);
        var late = Completed(C.JoinGroupAsync(Join(memberId: first.MemberId, requireKnownMemberId: true)));
        Assert.Equal(ErrorCode.UnknownMemberId, late.Error);
    }

    [Fact]
    public void Second_member_triggers_a_rebalance_and_the_leader_assigns_both()
    {
        var a = JoinAlone(C);
        var bJoin = C.JoinGroupAsync(Join());
        Assert.False(bJoin.IsCompleted);
        Assert.Equal(GroupState.PreparingRebalance, C.DescribeGroup(GroupId).State);
        Assert.Equal(ErrorCode.RebalanceInProgress, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));

        var aJoin = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId)));
        var b = Completed(bJoin);
        Assert.Equal(2, aJoin.GenerationId);
        Assert.Equal(2, b.GenerationId);
        Assert.Equal(a.MemberId, aJoin.LeaderId);
        Assert.Equal(2, aJoin.MemberList.Count);
        Assert.Empty(b.MemberList);

        var bSync = C.SyncGroupAsync(Sync(b));
        Assert.False(bSync.IsCompleted);
        var aSync = Completed(C.SyncGroupAsync(Sync(aJoin, (a.MemberId, [1]), (b.MemberId, [2]))));
        Assert.Equal([1], aSync.Assignment);
        Assert.Equal([2], Completed(bSync).Assignment);
        Assert.Equal(ErrorCode.None, C.Heartbeat(GroupId, 2, b.MemberId, null));
    }

    [Fact]
    public void Protocol_is_chosen_by_vote_among_those_all_members_support()
    {
        var sub = Subscription(CoordinatorFixture.Topic);
        JoinGroupParams Offer(string memberId, params string[] names) =>
            Join(memberId: memberId) with { Protocols = [.. names.Select(n => new GroupProtocol(n, sub))] };
        var a = Completed(C.JoinGroupAsync(Offer("", "range", "roundrobin")));
        Completed(C.SyncGroupAsync(Sync(a, (a.MemberId, []))));
        var bJoin = C.JoinGroupAsync(Offer("", "roundrobin", "range"));
        var cJoin = C.JoinGroupAsync(Offer("", "roundrobin", "sticky", "range"));
        var aJoin = Completed(C.JoinGroupAsync(Offer(a.MemberId, "range", "roundrobin")));
        Completed(bJoin);
        Completed(cJoin);
        Assert.Equal("roundrobin", aJoin.ProtocolName);
    }

    [Fact]
    public void Inconsistent_protocols_are_refused()
    {
        JoinAlone(C);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Completed(C.JoinGroupAsync(Join(protocol: "other"))).Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Completed(C.JoinGroupAsync(Join(protocolType: "connect"))).Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Completed(C.JoinGroupAsync(Join(protocolType: "", groupId: "fresh"))).Error);
    }

    [Fact]
    public void Session_timeout_outside_the_broker_bounds_is_invalid()
    {
        Assert.Equal(ErrorCode.InvalidSessionTimeout, Completed(C.JoinGroupAsync(Join(sessionTimeoutMs: 999))).Error);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, Completed(C.JoinGroupAsync(Join(sessionTimeoutMs: 60_001))).Error);
        Assert.Equal(ErrorCode.InvalidGroupId, Completed(C.JoinGroupAsync(Join(groupId: ""))).Error);
    }

    [Fact]
    public void Group_max_size_refuses_one_member_too_many()
    {
        using var f = new CoordinatorFixture(configure: o => o with { MaxSize = 2 });
        var a = Completed(f.Coordinator.JoinGroupAsync(Join()));
        Completed(f.Coordinator.SyncGroupAsync(Sync(a, (a.MemberId, []))));
        var bJoin = f.Coordinator.JoinGroupAsync(Join());
        Assert.Equal(ErrorCode.GroupMaxSizeReached, Completed(f.Coordinator.JoinGroupAsync(Join())).Error);
        Completed(f.Coordinator.JoinGroupAsync(Join(memberId: a.MemberId)));
        Assert.Equal(ErrorCode.None, Completed(bJoin).Error);
    }

    [Fact]
    public void Generation_and_member_are_checked_by_sync_and_heartbeat()
    {
        var a = JoinAlone(C);
        Assert.Equal(ErrorCode.IllegalGeneration, C.Heartbeat(GroupId, a.GenerationId + 1, a.MemberId, null));
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat(GroupId, a.GenerationId, "nobody", null));
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat("no-such-group", 1, a.MemberId, null));
        Assert.Equal(ErrorCode.IllegalGeneration, Completed(C.SyncGroupAsync(Sync(a) with { GenerationId = 9 })).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, Completed(C.SyncGroupAsync(Sync(a) with { MemberId = "nobody" })).Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Completed(C.SyncGroupAsync(Sync(a) with { ProtocolName = "roundrobin" })).Error);
        Assert.Equal(ErrorCode.None, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
    }

    [Fact]
    public void Initial_rebalance_delay_waits_for_more_members_and_extends()
    {
        using var f = new CoordinatorFixture(configure: o => o with { InitialRebalanceDelayMs = 3000 });
        var aJoin = f.Coordinator.JoinGroupAsync(Join(rebalanceTimeoutMs: 10_000));
        f.Time.Advance(2999);
        Assert.False(aJoin.IsCompleted);
        var bJoin = f.Coordinator.JoinGroupAsync(Join(rebalanceTimeoutMs: 10_000));
        f.Time.Advance(1);
        Assert.False(aJoin.IsCompleted, "a member joined during the delay, so it extends");
        f.Time.Advance(3000);
        Assert.Equal(1, Completed(aJoin).GenerationId);
        Assert.Equal(2, Completed(bJoin).MemberList.Count + Completed(aJoin).MemberList.Count);
    }

    [Fact]
    public void Leader_that_never_syncs_is_removed_after_the_rebalance_timeout()
    {
        var a = Completed(C.JoinGroupAsync(Join(rebalanceTimeoutMs: 20_000)));
        Completed(C.SyncGroupAsync(Sync(a, (a.MemberId, []))));
        var bJoin = C.JoinGroupAsync(Join(rebalanceTimeoutMs: 20_000));
        var aJoin = Completed(C.JoinGroupAsync(Join(memberId: a.MemberId, rebalanceTimeoutMs: 20_000)));
        var b = Completed(bJoin);
        var bSync = C.SyncGroupAsync(Sync(b));
        Assert.Equal(a.MemberId, aJoin.LeaderId);
        // The leader keeps heartbeating but never sends SyncGroup.
        for (var i = 0; i < 4; i++)
        {
            _f.Time.Advance(5000);
            C.Heartbeat(GroupId, aJoin.GenerationId, a.MemberId, null);
        }
        Assert.Equal(ErrorCode.RebalanceInProgress, Completed(bSync).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, C.Heartbeat(GroupId, aJoin.GenerationId, a.MemberId, null));
        var bAgain = Completed(C.JoinGroupAsync(Join(memberId: b.MemberId)));
        Assert.Equal(b.MemberId, bAgain.LeaderId);
    }
}
