using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using static KafkaOperator.Server.Tests.Groups.GroupWire;

namespace KafkaOperator.Server.Tests.Groups;

public class GroupApiTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Find_coordinator_answers_this_broker_and_creates_a_compacted_offsets_topic(short version)
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        var found = await FindAsync(c, "my-group", version);
        if (version >= 4)
        {
            var coordinator = Assert.Single(found.Coordinators);
            Assert.Equal("my-group", coordinator.Key);
            Assert.Equal(0, coordinator.ErrorCode);
            Assert.Equal(0, coordinator.NodeId);
            Assert.Equal(broker.Port, coordinator.Port);
        }
        else
        {
            Assert.Equal(0, found.ErrorCode);
            Assert.Equal(0, found.NodeId);
            Assert.Equal(broker.Port, found.Port);
            Assert.Equal("127.0.0.1", found.Host);
        }
        var topic = broker.Host.Metadata.Image.Topic(OffsetsPartitioner.OffsetsTopic);
        Assert.NotNull(topic);
        Assert.Equal(5, topic.Partitions.Length);
        Assert.Equal("compact", topic.Configs["cleanup.policy"]);
    }

    [Fact]
    public async Task Find_coordinator_batches_keys_and_refuses_transactions()
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        var found = await c.RequestAsync<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, 4,
            new FindCoordinatorRequest { CoordinatorKeys = ["a", "b", ""] });
        Assert.Equal([0, 0, (short)ErrorCode.InvalidRequest], found.Coordinators.Select(x => x.ErrorCode));
        var txn = await c.RequestAsync<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, 3,
            new FindCoordinatorRequest { Key = "tx", KeyType = 1 });
        Assert.Equal((short)ErrorCode.CoordinatorNotAvailable, txn.ErrorCode);
    }

    [Fact]
    public async Task Group_apis_before_find_coordinator_answer_not_coordinator()
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        var join = await JoinAsync(c, JoinRequest("g"));
        Assert.Equal((short)ErrorCode.NotCoordinator, join.ErrorCode);
    }

    [Theory]
    [InlineData(0, 0, 0, 1, 1)]
    [InlineData(3, 2, 2, 3, 3)]
    [InlineData(5, 3, 3, 6, 5)]
    [InlineData(9, 5, 4, 9, 9)]
    public async Task Join_sync_heartbeat_commit_fetch_leave_at_each_version(short join, short sync, short heartbeat, short commit, short fetch)
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        const string group = "app";
        Assert.Equal(0, (await FindAsync(c, group)).ErrorCode);
        var joined = await JoinNewAsync(c, group, join);
        Assert.Equal(0, joined.ErrorCode);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Equal("range", joined.ProtocolName);
        var member = Assert.Single(joined.Members);
        Assert.Equal(Subscription(Topic), member.Metadata);

        var synced = await SyncAsync(c, group, joined, [1, 2, 3], sync);
        Assert.Equal(0, synced.ErrorCode);
        Assert.Equal([1, 2, 3], synced.Assignment);
        Assert.Equal(0, (await HeartbeatAsync(c, group, joined.GenerationId, joined.MemberId, heartbeat)).ErrorCode);

        var committed = await CommitAsync(c, group, joined.GenerationId, joined.MemberId, Topic, 2, 77, commit);
        Assert.Equal(0, Assert.Single(Assert.Single(committed.Topics).Partitions).ErrorCode);
        Assert.Equal(77, await FetchOffsetAsync(c, group, 2, fetch));
        Assert.Equal(-1, await FetchOffsetAsync(c, group, 3, fetch));

        var described = await c.RequestAsync<DescribeGroupsRequest, DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, new DescribeGroupsRequest { Groups = [group] });
        var d = Assert.Single(described.Groups);
        Assert.Equal("Stable", d.GroupState);
        Assert.Equal("range", d.ProtocolData);
        Assert.Equal([1, 2, 3], Assert.Single(d.Members).MemberAssignment);
        Assert.StartsWith("/127.0.0.1", d.Members[0].ClientHost, StringComparison.Ordinal);

        if (join >= 3)
        {
            var left = await c.RequestAsync<LeaveGroupRequest, LeaveGroupResponse>(ApiKey.LeaveGroup, 5, new LeaveGroupRequest
            {
                GroupId = group,
                Members = [new LeaveGroupRequest.MemberIdentity { MemberId = joined.MemberId }, new LeaveGroupRequest.MemberIdentity { MemberId = "ghost" }],
            });
            Assert.Equal([0, (short)ErrorCode.UnknownMemberId], left.Members.Select(m => m.ErrorCode));
        }
        else
        {
            var left = await c.RequestAsync<LeaveGroupRequest, LeaveGroupResponse>(ApiKey.LeaveGroup, 0, new LeaveGroupRequest { GroupId = group, MemberId = joined.MemberId });
            Assert.Equal(0, left.ErrorCode);
        }
        var listed = await c.RequestAsync<ListGroupsRequest, ListGroupsResponse>(ApiKey.ListGroups, 5, new ListGroupsRequest { StatesFilter = ["Empty"] });
        var g = Assert.Single(listed.Groups);
        Assert.Equal(group, g.GroupId);
        Assert.Equal("Empty", g.GroupState);
        var deleted = await c.RequestAsync<DeleteGroupsRequest, DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, new DeleteGroupsRequest { GroupsNames = [group, "nope"] });
        Assert.Equal([0, (short)ErrorCode.GroupIdNotFound], deleted.Results.Select(r => r.ErrorCode));
    }

    [Fact]
    public async Task Bad_input_gets_kafka_error_codes()
    {
        await using var broker = await StartAsync(("group.max.size", "1"));
        using var c = broker.Connect();
        Assert.Equal(0, (await FindAsync(c, "g1")).ErrorCode);
        var joined = await JoinNewAsync(c, "g1");
        await SyncAsync(c, "g1", joined, [1]);

        // Unknown group, wrong generation, unknown member.
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(c, "no-such-group", 1, joined.MemberId)).ErrorCode);
        Assert.Equal((short)ErrorCode.IllegalGeneration, (await HeartbeatAsync(c, "g1", joined.GenerationId + 5, joined.MemberId)).ErrorCode);
        Assert.Equal((short)ErrorCode.IllegalGeneration, (await SyncAsync(c, "g1", new JoinGroupResponse { GenerationId = 9, MemberId = joined.MemberId })).ErrorCode);
        // group.max.size = 1.
        var second = await JoinAsync(c, JoinRequest("g1"));
        Assert.Equal((short)ErrorCode.GroupMaxSizeReached, second.ErrorCode);
        // A commit for a topic that does not exist.
        var unknownTopic = await CommitAsync(c, "g1", joined.GenerationId, joined.MemberId, "no-such-topic", 0, 1);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknownTopic.Topics[0].Partitions[0].ErrorCode);
        var badPartition = await CommitAsync(c, "g1", joined.GenerationId, joined.MemberId, Topic, 6, 1);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, badPartition.Topics[0].Partitions[0].ErrorCode);
        // A member id from another group.
        Assert.Equal(0, (await FindAsync(c, "g2")).ErrorCode);
        var other = await JoinNewAsync(c, "g2");
        var foreign = await CommitAsync(c, "g1", joined.GenerationId, other.MemberId, Topic, 0, 1);
        Assert.Equal((short)ErrorCode.UnknownMemberId, foreign.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(c, "g1", joined.GenerationId, other.MemberId)).ErrorCode);
        // Session timeout outside the broker's bounds; inconsistent protocol; empty group id.
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, (await JoinAsync(c, JoinRequest("g3", sessionTimeoutMs: 50))).ErrorCode);
        var otherProtocol = JoinRequest("g1", joined.MemberId);
        otherProtocol.Protocols[0].Name = "roundrobin";
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, (await JoinAsync(c, otherProtocol)).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidGroupId, (await JoinAsync(c, JoinRequest(""))).ErrorCode);
        // Non-empty group cannot be deleted; its subscribed topic's offsets cannot be deleted.
        var deleted = await c.RequestAsync<DeleteGroupsRequest, DeleteGroupsResponse>(ApiKey.DeleteGroups, 1, new DeleteGroupsRequest { GroupsNames = ["g1"] });
        Assert.Equal((short)ErrorCode.NonEmptyGroup, deleted.Results[0].ErrorCode);
        var offsetDelete = await c.RequestAsync<OffsetDeleteRequest, OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, new OffsetDeleteRequest
        {
            GroupId = "g1",
            Topics = [new OffsetDeleteRequest.OffsetDeleteRequestTopic { Name = Topic, Partitions = [new OffsetDeleteRequest.OffsetDeleteRequestPartition { PartitionIndex = 0 }] }],
        });
        Assert.Equal(0, offsetDelete.ErrorCode);
        Assert.Equal((short)ErrorCode.GroupSubscribedToTopic, offsetDelete.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Oversized_member_metadata_fails_the_leaders_sync_and_the_group_recovers()
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        Assert.Equal(0, (await FindAsync(c, "big")).ErrorCode);
        var first = await JoinAsync(c, JoinRequest("big", metadata: new byte[2 * 1024 * 1024]));
        var joined = await JoinAsync(c, JoinRequest("big", first.MemberId, metadata: new byte[2 * 1024 * 1024]));
        Assert.Equal(0, joined.ErrorCode);
        var synced = await SyncAsync(c, "big", joined, [1]);
        Assert.Equal((short)ErrorCode.UnknownServerError, synced.ErrorCode);
        var rejoined = await JoinAsync(c, JoinRequest("big", joined.MemberId));
        Assert.Equal(0, rejoined.ErrorCode);
        Assert.Equal(0, (await SyncAsync(c, "big", rejoined, [1])).ErrorCode);
    }

    [Fact]
    public async Task Committed_offsets_survive_a_broker_restart()
    {
        await using var broker = await StartAsync();
        using (var c = broker.Connect())
        {
            Assert.Equal(0, (await FindAsync(c, "durable")).ErrorCode);
            var joined = await JoinNewAsync(c, "durable");
            await SyncAsync(c, "durable", joined, [1]);
            for (var p = 0; p < 6; p++)
                Assert.Equal(0, (await CommitAsync(c, "durable", joined.GenerationId, joined.MemberId, Topic, p, 100 + p)).Topics[0].Partitions[0].ErrorCode);
            // v0 has no generation: a group that only stores offsets.
            Assert.Equal(0, (await CommitAsync(c, "simple", -1, "", Topic, 0, 5, version: 0)).Topics[0].Partitions[0].ErrorCode);
        }
        await broker.RestartAsync(Overrides());
        using var again = broker.Connect();
        Assert.Equal(0, (await FindAsync(again, "durable")).ErrorCode);
        for (var p = 0; p < 6; p++)
            Assert.Equal(100 + p, await FetchOffsetAsync(again, "durable", p));
        Assert.Equal(5, await FetchOffsetAsync(again, "simple", 0, 1));
    }

    [Fact]
    public async Task Lag_is_log_end_minus_committed_and_groups_are_independent()
    {
        await using var broker = await StartAsync();
        var partition = broker.Host.Services.Replicas.Get(Topic, 1)!;
        using (var builder = new KafkaOperator.Protocol.Records.RecordBatchBuilder())
        {
            for (var i = 0; i < 10; i++)
                builder.Add(0, null, [(byte)i]);
            Assert.Equal(ErrorCode.None, partition.Append(builder.ToArray(), -1).Error);
        }
        using var c = broker.Connect();
        Assert.Equal(0, (await FindAsync(c, "fast")).ErrorCode);
        Assert.Equal(0, (await FindAsync(c, "slow")).ErrorCode);
        await CommitAsync(c, "fast", -1, "", Topic, 1, 10);
        await CommitAsync(c, "slow", -1, "", Topic, 1, 3);
        var fast = Assert.Single(broker.Host.Services.Groups.Lag("fast"));
        var slow = Assert.Single(broker.Host.Services.Groups.Lag("slow"));
        Assert.Equal((10L, 0L), (fast.LogEndOffset, fast.Lag));
        Assert.Equal((3L, 7L), (slow.CommittedOffset, slow.Lag));
        Assert.Equal(10, await FetchOffsetAsync(c, "fast", 1));
        Assert.Equal(3, await FetchOffsetAsync(c, "slow", 1));
    }

    [Fact]
    public async Task A_member_that_stops_heartbeating_is_removed_within_its_session_timeout()
    {
        await using var broker = await StartAsync();
        using var c = broker.Connect();
        Assert.Equal(0, (await FindAsync(c, "live")).ErrorCode);
        var a = await JoinNewAsync(c, "live", sessionTimeoutMs: 10_000);
        await SyncAsync(c, "live", a, [1]);
        // b joins (v3: no member id round trip), which makes a rejoin; both get generation 2.
        using var c2 = broker.Connect();
        var bJoin = JoinAsync(c2, JoinRequest("live", sessionTimeoutMs: 300), 3);
        var until = DateTime.UtcNow.AddSeconds(10);
        while ((await HeartbeatAsync(c, "live", a.GenerationId, a.MemberId)).ErrorCode == 0 && DateTime.UtcNow < until)
        {
        }
        var aJoin = await JoinAsync(c, JoinRequest("live", a.MemberId), 9);
        Assert.Equal(2, (await bJoin).GenerationId);
        var bSync = SyncAsync(c2, "live", await bJoin);
        Assert.Equal(0, (await SyncAsync(c, "live", aJoin, [1])).ErrorCode);
        await bSync;
        // b goes silent: within its 300 ms session a is told to rebalance.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        short error;
        do
        {
            error = (await HeartbeatAsync(c, "live", aJoin.GenerationId, a.MemberId)).ErrorCode;
        }
        while (error == 0 && DateTime.UtcNow < deadline);
        Assert.Equal((short)ErrorCode.RebalanceInProgress, error);
        var alone = await JoinAsync(c, JoinRequest("live", a.MemberId), 9);
        Assert.Single(alone.Members);
    }
}
