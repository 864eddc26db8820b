using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Protocol;

namespace KafkaOperator.Server.Tests.Groups;

/// <summary>Group API calls over a raw connection, at chosen versions.</summary>
internal static class GroupWire
{
    public const string Topic = "orders";

    public static Dictionary<string, string> Overrides(params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string>
        {
            ["group.initial.rebalance.delay.ms"] = "0",
            ["offsets.topic.num.partitions"] = "5",
            ["group.min.session.timeout.ms"] = "100",
        };
        foreach (var (k, v) in extra)
            props[k] = v;
        return props;
    }

    public static async Task<TestBroker> StartAsync(params (string Key, string Value)[] extra)
    {
        var broker = await TestBroker.StartAsync(Overrides(extra));
        var created = await broker.Host.Services.Topics.CreateAsync(Topic, 6, 1, null, null, false);
        Assert.Equal(ErrorCode.None, created.Error);
        return broker;
    }

    public static byte[] Subscription(params string[] topics)
    {
        var bytes = new List<byte> { 0, 0 };
        var buf = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buf, topics.Length);
        bytes.AddRange(buf);
        foreach (var t in topics)
        {
            var name = Encoding.UTF8.GetBytes(t);
            bytes.Add((byte)(name.Length >> 8));
            bytes.Add((byte)name.Length);
            bytes.AddRange(name);
        }
        bytes.AddRange(new byte[] { 0xff, 0xff, 0xff, 0xff });
        return [.. bytes];
    }

    public static Task<FindCoordinatorResponse> FindAsync(RawConnection c, string group, short version = 3) =>
        c.RequestAsync<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, version,
            version >= 4 ? new FindCoordinatorRequest { CoordinatorKeys = [group] } : new FindCoordinatorRequest { Key = group });

    public static JoinGroupRequest JoinRequest(string group, string memberId = "", string? instanceId = null, byte[]? metadata = null, int sessionTimeoutMs = 10_000) => new()
    {
        GroupId = group,
        SessionTimeoutMs = sessionTimeoutMs,
        RebalanceTimeoutMs = 10_000,
        MemberId = memberId,
        GroupInstanceId = instanceId,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = metadata ?? Subscription(Topic) }],
    };

    public static Task<JoinGroupResponse> JoinAsync(RawConnection c, JoinGroupRequest request, short version = 9) =>
        c.RequestAsync<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, version, request);

    /// <summary>JoinGroup v4+ twice (MEMBER_ID_REQUIRED, then with the issued id).</summary>
    public static async Task<JoinGroupResponse> JoinNewAsync(RawConnection c, string group, short version = 9, int sessionTimeoutMs = 10_000)
    {
        var first = await JoinAsync(c, JoinRequest(group, sessionTimeoutMs: sessionTimeoutMs), version);
        if (version < 4)
            return first;
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        return await JoinAsync(c, JoinRequest(group, first.MemberId, sessionTimeoutMs: sessionTimeoutMs), version);
    }

    public static Task<SyncGroupResponse> SyncAsync(RawConnection c, string group, JoinGroupResponse joined, byte[]? assignment = null, short version = 5) =>
        c.RequestAsync<SyncGroupRequest, SyncGroupResponse>(ApiKey.SyncGroup, version, new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = joined.GenerationId,
            MemberId = joined.MemberId,
            ProtocolType = version >= 5 ? "consumer" : null,
            ProtocolName = version >= 5 ? "range" : null,
            Assignments = assignment is null ? [] : [new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = joined.MemberId, Assignment = assignment }],
        });

    public static Task<HeartbeatResponse> HeartbeatAsync(RawConnection c, string group, int generation, string memberId, short version = 4) =>
        c.RequestAsync<HeartbeatRequest, HeartbeatResponse>(ApiKey.Heartbeat, version, new HeartbeatRequest { GroupId = group, GenerationId = generation, MemberId = memberId });

    public static Task<OffsetCommitResponse> CommitAsync(RawConnection c, string group, int generation, string memberId, string topic, int partition, long offset, short version = 9) =>
        c.RequestAsync<OffsetCommitRequest, OffsetCommitResponse>(ApiKey.OffsetCommit, version, new OffsetCommitRequest
        {
            GroupId = group,
            GenerationIdOrMemberEpoch = generation,
            MemberId = memberId,
            Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = topic,
                Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = partition, CommittedOffset = offset, CommittedMetadata = "m" }],
            }],
        });

    public static async Task<long> FetchOffsetAsync(RawConnection c, string group, int partition, short version = 9)
    {
        if (version >= 8)
        {
            var r = await c.RequestAsync<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, version, new OffsetFetchRequest
            {
                Groups = [new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = group,
                    Topics = [new OffsetFetchRequest.OffsetFetchRequestTopics { Name = Topic, PartitionIndexes = [partition] }],
                }],
            });
            var g = Assert.Single(r.Groups);
            Assert.Equal(0, g.ErrorCode);
            var p = Assert.Single(Assert.Single(g.Topics).Partitions);
            Assert.Equal(0, p.ErrorCode);
            return p.CommittedOffset;
        }
        var old = await c.RequestAsync<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, version, new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = Topic, PartitionIndexes = [partition] }],
        });
        Assert.Equal(0, old.ErrorCode);
        var part = Assert.Single(Assert.Single(old.Topics).Partitions);
        Assert.Equal(0, part.ErrorCode);
        return part.CommittedOffset;
    }
}
