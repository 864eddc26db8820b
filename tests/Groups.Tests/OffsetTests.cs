using KafkaOperator.Protocol;
using static KafkaOperator.Groups.Tests.Helpers;

namespace KafkaOperator.Groups.Tests;

public sealed class OffsetTests : IDisposable
{
    private readonly CoordinatorFixture _f = new();

    private GroupCoordinator C => _f.Coordinator;

    public void Dispose() => _f.Dispose();

    private static TopicPartition Tp(int p) => new(CoordinatorFixture.Topic, p);

    [Fact]
    public void Simple_commit_without_group_management_then_fetch()
    {
        Assert.Equal([ErrorCode.None, ErrorCode.None], C.CommitOffsets(Commit("standalone", -1, "", (0, 42), (1, 7))));
        var fetched = C.FetchOffsets("standalone", [Tp(0), Tp(1), Tp(2)]);
        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Equal([42L, 7L, -1L], fetched.Offsets.Select(o => o.Offset));
        Assert.Equal("meta", fetched.Offsets[0].Metadata);
        Assert.Equal(3, fetched.Offsets[0].LeaderEpoch);
        Assert.Equal(2, C.FetchOffsets("standalone", null).Offsets.Count);
        Assert.Equal([-1L], C.FetchOffsets("unknown", [Tp(0)]).Offsets.Select(o => o.Offset));
        Assert.Equal(GroupState.Empty, Assert.Single(C.ListGroups()).State);
    }

    [Fact]
    public void Commit_errors_per_partition_and_per_group()
    {
        var commit = Commit("standalone", -1, "", (0, 1)) with
        {
            Offsets =
            [
                new OffsetCommitEntry(Tp(0), 1, -1, null),
                new OffsetCommitEntry(new TopicPartition("missing", 0), 1, -1, null),
                new OffsetCommitEntry(Tp(99), 1, -1, null),
                new OffsetCommitEntry(Tp(1), 1, -1, new string('x', 4097)),
            ],
        };
        Assert.Equal([ErrorCode.None, ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicOrPartition, ErrorCode.OffsetMetadataTooLarge], C.CommitOffsets(commit));
        Assert.Equal([ErrorCode.IllegalGeneration], C.CommitOffsets(Commit("never-joined", 1, "someone", (0, 1))));
        Assert.Equal([ErrorCode.InvalidGroupId], C.CommitOffsets(Commit("", -1, "", (0, 1))));
    }

    [Fact]
    public void Member_commits_are_checked_against_the_generation()
    {
        var a = Completed(C.JoinGroupAsync(Join()));
        Assert.Equal([ErrorCode.RebalanceInProgress], C.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 5))));
        Completed(C.SyncGroupAsync(Sync(a, (a.MemberId, []))));
        Assert.Equal([ErrorCode.None], C.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 5))));
        Assert.Equal([ErrorCode.IllegalGeneration], C.CommitOffsets(Commit(GroupId, a.GenerationId + 1, a.MemberId, (0, 6))));
        Assert.Equal([ErrorCode.UnknownMemberId], C.CommitOffsets(Commit(GroupId, a.GenerationId, "stranger", (0, 6))));
        Assert.Equal([ErrorCode.UnknownMemberId], C.CommitOffsets(Commit(GroupId, -1, "", (0, 6))));

        // A member of another group is unknown here.
        var other = Completed(C.JoinGroupAsync(Join(groupId: "other-group")));
        Assert.Equal([ErrorCode.UnknownMemberId], C.CommitOffsets(Commit(GroupId, a.GenerationId, other.MemberId, (0, 6))));
        Assert.Equal(5, C.FetchOffsets(GroupId, [Tp(0)]).Offsets[0].Offset);
    }

    [Fact]
    public void Two_groups_keep_independent_offsets()
    {
        C.CommitOffsets(Commit("g1", -1, "", (0, 10)));
        C.CommitOffsets(Commit("g2", -1, "", (0, 20)));
        Assert.Equal(10, C.FetchOffsets("g1", [Tp(0)]).Offsets[0].Offset);
        Assert.Equal(20, C.FetchOffsets("g2", [Tp(0)]).Offsets[0].Offset);
        Assert.Equal(10, C.CommittedOffsets("g1")[Tp(0)].Offset);
    }

    [Fact]
    public void Offsets_and_group_metadata_survive_a_restart()
    {
        var a = JoinAlone(C, assignment: [9, 9]);
        C.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 100), (5, 500)));
        C.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 150)));
        C.CommitOffsets(Commit("standalone", -1, "", (3, 33)));
        C.CommitOffsets(Commit("deleted", -1, "", (3, 1)));
        Assert.Equal(ErrorCode.None, C.DeleteGroup("deleted"));
        var partition = C.PartitionFor(GroupId);
        Assert.True(_f.Log(partition).LogEndOffset >= 4);

        _f.Reopen();

        Assert.Equal([150L, 500L], C.FetchOffsets(GroupId, [Tp(0), Tp(5)]).Offsets.Select(o => o.Offset));
        Assert.Equal(33, C.FetchOffsets("standalone", [Tp(3)]).Offsets[0].Offset);
        Assert.Equal(-1, C.FetchOffsets("deleted", [Tp(3)]).Offsets[0].Offset);
        Assert.DoesNotContain(C.ListGroups(), g => g.GroupId == "deleted");
        var described = C.DescribeGroup(GroupId);
        Assert.Equal(GroupState.Stable, described.State);
        Assert.Equal(a.MemberId, Assert.Single(described.Members).MemberId);
        Assert.Equal([9, 9], described.Members[0].Assignment);
        // The restored member resumes with its generation; if it stays away, its session expires.
        Assert.Equal(ErrorCode.None, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
        _f.Time.Advance(10_001);
        Assert.Equal(GroupState.Empty, C.DescribeGroup(GroupId).State);
    }

    [Fact]
    public void Delete_groups_requires_an_empty_group()
    {
        var a = JoinAlone(C);
        Assert.Equal(ErrorCode.NonEmptyGroup, C.DeleteGroup(GroupId));
        Assert.Equal(ErrorCode.GroupIdNotFound, C.DeleteGroup("nope"));
        C.LeaveGroup(GroupId, [new LeavingMember(a.MemberId, null)]);
        Assert.Equal(ErrorCode.None, C.DeleteGroup(GroupId));
        Assert.Equal(GroupState.Dead, C.DescribeGroup(GroupId).State);
        Assert.Equal(ErrorCode.GroupIdNotFound, C.DeleteGroup(GroupId));
    }

    [Fact]
    public void Offset_delete_refuses_subscribed_topics_of_an_active_consumer_group()
    {
        var a = JoinAlone(C);
        C.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 1)));
        var refused = C.DeleteOffsets(GroupId, [Tp(0)]);
        Assert.Equal(ErrorCode.None, refused.Error);
        Assert.Equal(ErrorCode.GroupSubscribedToTopic, refused.Partitions[0].Error);
        Assert.Equal(ErrorCode.GroupIdNotFound, C.DeleteOffsets("nope", [Tp(0)]).Error);
        C.LeaveGroup(GroupId, [new LeavingMember(a.MemberId, null)]);
        var deleted = C.DeleteOffsets(GroupId, [Tp(0)]);
        Assert.Equal(ErrorCode.None, deleted.Partitions[0].Error);
        Assert.Equal(-1, C.FetchOffsets(GroupId, [Tp(0)]).Offsets[0].Offset);
        _f.Reopen();
        Assert.Equal(-1, C.FetchOffsets(GroupId, [Tp(0)]).Offsets[0].Offset);
    }

    [Fact]
    public void Offsets_of_empty_groups_expire_after_the_retention()
    {
        using var f = new CoordinatorFixture(configure: o => o with { OffsetsRetentionMs = 60_000, OffsetsRetentionCheckIntervalMs = 10_000 });
        var c = f.Coordinator;
        c.CommitOffsets(Commit("old", -1, "", (0, 1)));
        f.Time.Advance(30_000);
        c.CommitOffsets(Commit("young", -1, "", (0, 2)));
        f.Time.Advance(30_000);
        Assert.Equal(-1, c.FetchOffsets("old", [Tp(0)]).Offsets[0].Offset);
        Assert.Equal(2, c.FetchOffsets("young", [Tp(0)]).Offsets[0].Offset);
        Assert.DoesNotContain(c.ListGroups(), g => g.GroupId == "old");
        f.Reopen();
        Assert.Equal(-1, f.Coordinator.FetchOffsets("old", [Tp(0)]).Offsets[0].Offset);
        Assert.Equal(2, f.Coordinator.FetchOffsets("young", [Tp(0)]).Offsets[0].Offset);
    }

    [Fact]
    public void List_and_describe_groups()
    {
        JoinAlone(C);
        C.CommitOffsets(Commit("standalone", -1, "", (0, 1)));
        Assert.Equal(["orders-app", "standalone"], C.ListGroups().Select(g => g.GroupId));
        Assert.Equal(["orders-app"], C.ListGroups(states: ["stable"]).Select(g => g.GroupId));
        Assert.Equal(["standalone"], C.ListGroups(states: ["Empty"]).Select(g => g.GroupId));
        Assert.Empty(C.ListGroups(types: ["consumer"]));
        Assert.Equal(2, C.ListGroups(types: ["Classic"]).Count);
        var d = C.DescribeGroup(GroupId);
        Assert.Equal("consumer", d.ProtocolType);
        Assert.Equal("client", d.Members[0].ClientId);
        Assert.Equal("/127.0.0.1", d.Members[0].ClientHost);
        Assert.NotEmpty(d.Members[0].Metadata);
    }
}
