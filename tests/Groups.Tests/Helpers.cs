using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;

namespace KafkaOperator.Groups.Tests;

internal static class Helpers
{
    public const string GroupId = "orders-app";

    /// <summary>A ConsumerProtocolSubscription v0: topics, null user data.</summary>
    public static byte[] Subscription(params string[] topics)
    {
        var bytes = new List<byte>();
        var buf = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(buf, 0);
        bytes.AddRange(buf.AsSpan(0, 2).ToArray());
        BinaryPrimitives.WriteInt32BigEndian(buf, topics.Length);
        bytes.AddRange(buf);
        foreach (var t in topics)
        {
            BinaryPrimitives.WriteInt16BigEndian(buf, (short)Encoding.UTF8.GetByteCount(t));
            bytes.AddRange(buf.AsSpan(0, 2).ToArray());
            bytes.AddRange(Encoding.UTF8.GetBytes(t));
        }
        BinaryPrimitives.WriteInt32BigEndian(buf, -1);
        bytes.AddRange(buf);
        return [.. bytes];
    }

    public static JoinGroupParams Join(
        string memberId = "",
        string? instanceId = null,
        byte[]? metadata = null,
        int sessionTimeoutMs = 10_000,
        int rebalanceTimeoutMs = 30_000,
        string protocolType = "consumer",
        string protocol = "range",
        bool requireKnownMemberId = false,
        string groupId = GroupId) =>
        new(groupId, memberId, instanceId, "client", "/127.0.0.1", sessionTimeoutMs, rebalanceTimeoutMs, protocolType,
            [new GroupProtocol(protocol, metadata ?? Subscription(CoordinatorFixture.Topic))], requireKnownMemberId);

    public static SyncGroupParams Sync(JoinGroupResult joined, params (string MemberId, byte[] Assignment)[] assignments) =>
        new(GroupId, joined.GenerationId, joined.MemberId, null, null, null, assignments);

    public static T Completed<T>(Task<T> task)
    {
        Assert.True(task.IsCompleted, "the coordinator has not answered yet");
        return task.Result;
    }

    /// <summary>Joins one member and completes the rebalance and sync: the group is Stable with it alone.</summary>
    public static JoinGroupResult JoinAlone(GroupCoordinator coordinator, byte[]? assignment = null, string? instanceId = null)
    {
        var joined = Completed(coordinator.JoinGroupAsync(Join(instanceId: instanceId)));
        Assert.Equal(ErrorCode.None, joined.Error);
        var synced = Completed(coordinator.SyncGroupAsync(Sync(joined, (joined.MemberId, assignment ?? [1]))));
        Assert.Equal(ErrorCode.None, synced.Error);
        return joined;
    }

    public static OffsetCommitParams Commit(string groupId, int generation, string memberId, params (int Partition, long Offset)[] offsets) =>
        new(groupId, generation, memberId, null, -1,
            [.. offsets.Select(o => new OffsetCommitEntry(new TopicPartition(CoordinatorFixture.Topic, o.Partition), o.Offset, 3, "meta"))]);
}
