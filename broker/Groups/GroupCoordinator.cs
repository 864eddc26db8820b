using System.Collections.Concurrent;
using KafkaOperator.Groups.Persistence;
using KafkaOperator.Groups.Timers;
using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

/// <summary>
/// Kafka's classic group coordinator: membership and rebalances (JoinGroup/SyncGroup/Heartbeat/LeaveGroup),
/// committed offsets and their durability in __consumer_offsets, and the admin views (list, describe, delete).
/// A group lives in the __consumer_offsets partition <see cref="OffsetsPartitioner.PartitionFor"/> picks; this node
/// serves the groups of the partitions it has loaded (<see cref="LoadPartition"/>), so coordination follows the
/// partition's leader. Timers (sessions, rebalance and sync timeouts, the initial rebalance delay, offset
/// expiry) run on one <see cref="DeadlineScheduler"/> over the injected <see cref="TimeProvider"/>.
/// Threading: each group has a lock held for a whole request or timer action; waits (a JoinGroup for the
/// rebalance, a follower's SyncGroup for the leader) are tasks completed under that lock.
/// Exception policy: bad input and protocol violations become Kafka error codes; a log append failure becomes
/// the error Kafka maps it to (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...); replay failures propagate from
/// <see cref="LoadPartition"/> and leave the partition unserved.
/// </summary>
public sealed partial class GroupCoordinator : IDisposable
{
    private const int NotHosted = 0;
    private const int Loading = 1;
    private const int Loaded = 2;
    private const int NewMemberJoinTimeoutMs = 5 * 60 * 1000;

    private readonly GroupCoordinatorOptions _options;
    private readonly OffsetsTopicLogs _logs;
    private readonly TimeProvider _time;
    private readonly Func<TopicPartition, bool> _partitionExists;
    private readonly ConcurrentDictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private readonly int[] _partitionStates;

    /// <param name="partitionExists">Whether a topic partition exists (OffsetCommit answers UNKNOWN_TOPIC_OR_PARTITION otherwise).</param>
    public GroupCoordinator(GroupCoordinatorOptions options, OffsetsTopicLogs logs, TimeProvider? time = null, Func<TopicPartition, bool>? partitionExists = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logs);
        _options = options;
        _logs = logs;
        _time = time ?? TimeProvider.System;
        _partitionExists = partitionExists ?? (_ => true);
        _partitionStates = new int[logs.PartitionCount];
        Scheduler = new DeadlineScheduler(_time);
        ScheduleExpiry();
    }

    public GroupCoordinatorOptions Options => _options;

    /// <summary>The timers; exposed so tests and the server can see pending deadlines and errors.</summary>
    public DeadlineScheduler Scheduler { get; }

    public int OffsetsPartitionCount => _logs.PartitionCount;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public int PartitionFor(string groupId) => OffsetsPartitioner.PartitionFor(groupId, _logs.PartitionCount);

    public bool IsLoaded(int partition) => (uint)partition < (uint)_partitionStates.Length && Volatile.Read(ref _partitionStates[partition]) == Loaded;

    /// <summary>NONE when this node serves the group; COORDINATOR_LOAD_IN_PROGRESS while its partition loads; NOT_COORDINATOR otherwise.</summary>
    public ErrorCode CoordinatorError(string groupId) =>
        Volatile.Read(ref _partitionStates[PartitionFor(groupId)]) switch
        {
            Loaded => ErrorCode.None,
            Loading => ErrorCode.CoordinatorLoadInProgress,
            _ => ErrorCode.NotCoordinator,
        };

    public void Dispose() => Scheduler.Dispose();

    internal ClassicGroup? Find(string groupId) => _groups.GetValueOrDefault(groupId);

    private ClassicGroup GetOrCreate(string groupId) =>
        _groups.GetOrAdd(groupId, id => new ClassicGroup(id, PartitionFor(id), NowMs));

    private static Task<T> Done<T>(T value) => Task.FromResult(value);

    private static string HeartbeatKey(ClassicGroup group, string memberId) => $"hb\u0000{group.GroupId}\u0000{memberId}";

    private static string PendingKey(ClassicGroup group, string memberId) => $"pending\u0000{group.GroupId}\u0000{memberId}";

    private static string JoinKey(ClassicGroup group) => $"join\u0000{group.GroupId}";

    private static string SyncKey(ClassicGroup group) => $"sync\u0000{group.GroupId}";

    /// <summary>Kafka maps log append failures of the coordinator to these client-facing errors.</summary>
    private static ErrorCode MapAppendError(ErrorCode error) => error switch
    {
        ErrorCode.None => ErrorCode.None,
        ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.RequestTimedOut
            or ErrorCode.KafkaStorageError => ErrorCode.CoordinatorNotAvailable,
        ErrorCode.NotLeaderOrFollower => ErrorCode.NotCoordinator,
        ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidFetchSize => ErrorCode.InvalidCommitOffsetSize,
        _ => ErrorCode.UnknownServerError,
    };

    private ErrorCode AppendGroupMetadata(ClassicGroup group, long now)
    {
        var value = new GroupMetadataValue
        {
            ProtocolType = group.ProtocolType ?? "",
            Generation = group.GenerationId,
            Protocol = group.ProtocolName,
            Leader = group.LeaderId,
            CurrentStateTimestamp = group.CurrentStateTimestamp,
        };
        foreach (var m in group.Members)
        {
            value.Members.Add(new GroupMetadataValue.MemberMetadata
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                ClientId = m.ClientId,
                ClientHost = m.ClientHost,
                RebalanceTimeout = m.RebalanceTimeoutMs,
                SessionTimeout = m.SessionTimeoutMs,
                Subscription = (group.ProtocolName is { } p ? m.MetadataFor(p) : null) ?? [],
                Assignment = m.Assignment,
            });
        }
        var record = (CoordinatorRecordCodec.GroupKey(group.GroupId), (byte[]?)CoordinatorRecordCodec.GroupValue(value));
        return MapAppendError(_logs.Append(group.Partition, [record], now));
    }
}
