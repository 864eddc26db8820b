using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Tests.Protocol;

public sealed class GroupTests
{
    private static JoinGroupRequest Join(string memberId) => new()
    {
        GroupId = "g1",
        SessionTimeoutMs = 10_000,
        RebalanceTimeoutMs = 5_000,
        MemberId = memberId,
        ProtocolType = "consumer",
        Protocols = [new() { Name = "range", Metadata = [1, 2, 3] }],
    };

    [Fact]
    public async Task Two_members_join_sync_heartbeat_commit_and_leave()
    {
        await using var broker = await TestBroker.StartAsync(new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0" });
        using var a = broker.Connect();
        using var b = broker.Connect();
        await Batches.CreateTopicAsync(a, "gt");

        var coordinator = await a.RequestAsync<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, new FindCoordinatorRequest { Key = "g1" });
        Assert.Equal(broker.Port, coordinator.Port);
        var v4 = await a.RequestAsync<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, new FindCoordinatorRequest { CoordinatorKeys = ["g1"] });
        Assert.Equal(broker.Port, Assert.Single(v4.Coordinators).Port);

        // v4+: the first join only hands out a member id.
        var first = await a.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 9, Join(""));
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        var joinA = await a.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 9, Join(first.MemberId));
        Assert.Equal(0, joinA.ErrorCode);
        Assert.Equal(joinA.MemberId, joinA.Leader);
        Assert.Single(joinA.Members);
        var syncA = await a.RequestAsync<SyncGroupRequest, SyncGroupResponse>(ApiKey.SyncGroup, 5, new SyncGroupRequest
        {
            GroupId = "g1",
            GenerationId = joinA.GenerationId,
            MemberId = joinA.MemberId,
            ProtocolType = "consumer",
            ProtocolName = "range",
            Assignments = [new() { MemberId = joinA.MemberId, Assignment = [9] }],
        });
        Assert.Equal(0, syncA.ErrorCode);
        Assert.Equal([9], syncA.Assignment);

        // A second member triggers a rebalance: the first learns it from its heartbeat and rejoins.
        var firstB = await b.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 9, Join(""));
        var joinBTask = b.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 9, Join(firstB.MemberId));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (broker.Host.Services.Groups.Describe("g1")?.State != Groups.GroupState.PreparingRebalance && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        var hb = await a.RequestAsync<HeartbeatRequest, HeartbeatResponse>(ApiKey.Heartbeat, 4, new HeartbeatRequest { GroupId = "g1", GenerationId = joinA.GenerationId, MemberId = joinA.MemberId });
        Assert.Equal((short)ErrorCode.RebalanceInProgress, hb.ErrorCode);
        var rejoinA = await a.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 9, Join(joinA.MemberId));
        var joinB = await joinBTask;
        Assert.Equal(rejoinA.GenerationId, joinB.GenerationId);
        Assert.Equal(2, rejoinA.Members.Count);
        Assert.Empty(joinB.Members);

        var syncBTask = b.RequestAsync<SyncGroupRequest, SyncGroupResponse>(ApiKey.SyncGroup, 3, new SyncGroupRequest { GroupId = "g1", GenerationId = joinB.GenerationId, MemberId = joinB.MemberId });
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (broker.Host.InFlightRequests == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        await a.RequestAsync<SyncGroupRequest, SyncGroupResponse>(ApiKey.SyncGroup, 3, new SyncGroupRequest
        {
            GroupId = "g1",
            GenerationId = rejoinA.GenerationId,
            MemberId = rejoinA.MemberId,
            Assignments = [new() { MemberId = rejoinA.MemberId, Assignment = [1] }, new() { MemberId = joinB.MemberId, Assignment = [2] }],
        });
        Assert.Equal([2], (await syncBTask).Assignment);

        var commit = await b.RequestAsync<OffsetCommitRequest, OffsetCommitResponse>(ApiKey.OffsetCommit, 8, new OffsetCommitRequest
        {
            GroupId = "g1",
            GenerationIdOrMemberEpoch = joinB.GenerationId,
            MemberId = joinB.MemberId,
            Topics = [new() { Name = "gt", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 42, CommittedMetadata = "m" }] }],
        });
        Assert.Equal(0, commit.Topics[0].Partitions[0].ErrorCode);
        var stale = await b.RequestAsync<OffsetCommitRequest, OffsetCommitResponse>(ApiKey.OffsetCommit, 8, new OffsetCommitRequest
        {
            GroupId = "g1",
            GenerationIdOrMemberEpoch = 999,
            MemberId = joinB.MemberId,
            Topics = [new() { Name = "gt", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }] }],
        });
        Assert.Equal((short)ErrorCode.IllegalGeneration, stale.Topics[0].Partitions[0].ErrorCode);

        var fetched = await a.RequestAsync<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, 7, new OffsetFetchRequest
        {
            GroupId = "g1",
            Topics = [new() { Name = "gt", PartitionIndexes = [0, 1] }],
        });
        Assert.Equal(42, fetched.Topics[0].Partitions[0].CommittedOffset);
        Assert.Equal(-1, fetched.Topics[0].Partitions[1].CommittedOffset);
        var v8 = await a.RequestAsync<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, 9, new OffsetFetchRequest { Groups = [new() { GroupId = "g1", Topics = null }] });
        Assert.Equal(42, v8.Groups[0].Topics[0].Partitions[0].CommittedOffset);

        var described = await a.RequestAsync<DescribeGroupsRequest, DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, new DescribeGroupsRequest { Groups = ["g1"] });
        Assert.Equal("Stable", described.Groups[0].GroupState);
        Assert.Equal(2, described.Groups[0].Members.Count);

        var nonEmpty = await a.RequestAsync<DeleteGroupsRequest, DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, new DeleteGroupsRequest { GroupsNames = ["g1", "nope"] });
        Assert.Equal((short)ErrorCode.NonEmptyGroup, nonEmpty.Results[0].ErrorCode);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, nonEmpty.Results[1].ErrorCode);

        foreach (var (conn, member) in new[] { (a, rejoinA.MemberId), (b, joinB.MemberId) })
        {
            var leave = await conn.RequestAsync<LeaveGroupRequest, LeaveGroupResponse>(ApiKey.LeaveGroup, 5, new LeaveGroupRequest { GroupId = "g1", Members = [new() { MemberId = member }] });
            Assert.Equal(0, leave.Members[0].ErrorCode);
        }
        var listed = await a.RequestAsync<ListGroupsRequest, ListGroupsResponse>(ApiKey.ListGroups, 4, new ListGroupsRequest());
        Assert.Equal("Empty", Assert.Single(listed.Groups).GroupState);

        // Committed offsets survive a restart.
        await broker.RestartAsync();
        using var c = broker.Connect();
        var after = await c.RequestAsync<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, 5, new OffsetFetchRequest { GroupId = "g1", Topics = null });
        Assert.Equal(42, after.Topics[0].Partitions[0].CommittedOffset);
        Assert.Equal("m", after.Topics[0].Partitions[0].Metadata);
    }

    [Fact]
    public async Task Join_errors()
    {
        await using var broker = await TestBroker.StartAsync();
        using var conn = broker.Connect();
        var badSession = Join("");
        badSession.SessionTimeoutMs = 10;
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, (await conn.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 5, badSession)).ErrorCode);
        var unknown = Join("who-is-this");
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await conn.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 5, unknown)).ErrorCode);
        var noGroup = Join("");
        noGroup.GroupId = "";
        Assert.Equal((short)ErrorCode.InvalidGroupId, (await conn.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, 2, noGroup)).ErrorCode);
        var hb = await conn.RequestAsync<HeartbeatRequest, HeartbeatResponse>(ApiKey.Heartbeat, 0, new HeartbeatRequest { GroupId = "x", GenerationId = 1, MemberId = "m" });
        Assert.Equal((short)ErrorCode.UnknownMemberId, hb.ErrorCode);
    }
}
