using KafkaOperator.Protocol;
using static KafkaOperator.Groups.Tests.Helpers;

namespace KafkaOperator.Groups.Tests;

public sealed class CoordinationTests : IDisposable
{
    private readonly CoordinatorFixture _f = new();

    private GroupCoordinator C => _f.Coordinator;

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Groups_live_in_the_partition_their_id_hashes_to()
    {
        C.CommitOffsets(Commit("a", -1, "", (0, 1)));
        C.CommitOffsets(Commit("my-group", -1, "", (0, 1)));
        // abs(97) % 3 == 1 and abs(-1906497762) % 3 == 0: one record in each of those logs, none in the third.
        Assert.Equal(1, C.PartitionFor("a"));
        Assert.Equal(0, C.PartitionFor("my-group"));
        Assert.Equal([1L, 1L, 0L], Enumerable.Range(0, 3).Select(p => _f.Log(p).LogEndOffset));
    }

    [Fact]
    public void Unloading_a_partition_answers_not_coordinator_and_fails_waiting_joins()
    {
        var a = JoinAlone(C);
        var bJoin = C.JoinGroupAsync(Join());
        var partition = C.PartitionFor(GroupId);
        C.UnloadPartition(partition);
        Assert.Equal(ErrorCode.NotCoordinator, Completed(bJoin).Error);
        Assert.Equal(ErrorCode.NotCoordinator, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
        Assert.Equal(ErrorCode.NotCoordinator, C.FetchOffsets(GroupId, null).Error);
        Assert.Equal(ErrorCode.NotCoordinator, Completed(C.JoinGroupAsync(Join())).Error);
        Assert.DoesNotContain(C.ListGroups(), g => g.GroupId == GroupId);

        // Taking the partition back replays the log: the group is back, Stable with its member.
        C.LoadPartition(partition);
        Assert.Equal(GroupState.Stable, C.DescribeGroup(GroupId).State);
        Assert.Equal(ErrorCode.None, C.Heartbeat(GroupId, a.GenerationId, a.MemberId, null));
    }

    [Fact]
    public void Retention_of_a_group_that_had_members_counts_from_when_it_became_empty()
    {
        using var f = new CoordinatorFixture(configure: o => o with { OffsetsRetentionMs = 60_000, OffsetsRetentionCheckIntervalMs = 1000 });
        var c = f.Coordinator;
        var a = JoinAlone(c);
        c.CommitOffsets(Commit(GroupId, a.GenerationId, a.MemberId, (0, 9)));
        for (var i = 0; i < 12; i++)
        {
            f.Time.Advance(5000);
            c.Heartbeat(GroupId, a.GenerationId, a.MemberId, null);
        }
        Assert.Equal(9, c.FetchOffsets(GroupId, null).Offsets[0].Offset);
        c.LeaveGroup(GroupId, [new LeavingMember(a.MemberId, null)]);
        f.Time.Advance(59_000);
        Assert.Equal(9, c.FetchOffsets(GroupId, null).Offsets[0].Offset);
        f.Time.Advance(2000);
        Assert.Empty(c.FetchOffsets(GroupId, null).Offsets);
        Assert.Equal(GroupState.Dead, c.DescribeGroup(GroupId).State);
    }
}

public sealed class LoadFailureTests : IDisposable
{
    private readonly CoordinatorFixture _f = new(offsetsPartitions: 1);

    public void Dispose() => _f.Dispose();

    private void AppendRaw(byte[] key, byte[]? value)
    {
        using var builder = new KafkaOperator.Protocol.Records.RecordBatchBuilder();
        builder.Add(0, key, value);
        var result = _f.Log(0).AppendAsLeader(builder.ToArray(), 0, KafkaOperator.Protocol.Records.TimestampType.CreateTime, 0);
        Assert.Equal(ErrorCode.None, result.Error);
    }

    [Fact]
    public void Records_of_unknown_key_types_are_skipped_on_load()
    {
        _f.Coordinator.CommitOffsets(Commit("g", -1, "", (0, 4)));
        AppendRaw([0, 3, 0, 1, (byte)'g'], [0, 0, 1, 2, 3]);
        _f.Reopen();
        Assert.Equal(4, _f.Coordinator.FetchOffsets("g", [new TopicPartition(CoordinatorFixture.Topic, 0)]).Offsets[0].Offset);
    }

    [Fact]
    public void A_corrupt_record_leaves_the_partition_unserved_instead_of_half_loaded()
    {
        _f.Coordinator.CommitOffsets(Commit("g", -1, "", (0, 4)));
        AppendRaw([0, 1, 0, 9, (byte)'g'], [0, 3, 1]);
        _f.Coordinator.UnloadPartition(0);
        Assert.ThrowsAny<KafkaOperator.Protocol.Codec.KafkaProtocolException>(() => _f.Coordinator.LoadPartition(0));
        Assert.False(_f.Coordinator.IsLoaded(0));
        Assert.Equal(ErrorCode.NotCoordinator, _f.Coordinator.FetchOffsets("g", null).Error);
    }
}
