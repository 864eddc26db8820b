using KafkaOperator.Protocol;

namespace KafkaOperator.Groups;

public readonly record struct GroupProtocol(string Name, byte[] Metadata);

/// <summary>A JoinGroup as the coordinator sees it; <see cref="RequireKnownMemberId"/> is JoinGroup v4+.</summary>
public sealed record JoinGroupParams(
    string GroupId,
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    int SessionTimeoutMs,
    int RebalanceTimeoutMs,
    string ProtocolType,
    IReadOnlyList<GroupProtocol> Protocols,
    bool RequireKnownMemberId);

public readonly record struct JoinedMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

public sealed record JoinGroupResult(
    ErrorCode Error,
    string MemberId,
    int GenerationId = -1,
    string? ProtocolType = null,
    string? ProtocolName = null,
    string LeaderId = "",
    IReadOnlyList<JoinedMember>? Members = null,
    bool SkipAssignment = false)
{
    public IReadOnlyList<JoinedMember> MemberList => Members ?? [];
}

public sealed record SyncGroupParams(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    string? ProtocolType,
    string? ProtocolName,
    IReadOnlyList<(string MemberId, byte[] Assignment)> Assignments);

public sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType = null, string? ProtocolName = null, byte[]? Assignment = null);

public readonly record struct LeavingMember(string MemberId, string? GroupInstanceId);

public sealed record LeaveGroupResult(ErrorCode Error, IReadOnlyList<ErrorCode> MemberErrors);

public sealed record OffsetCommitParams(
    string GroupId,
    int GenerationId,
    string MemberId,
    string? GroupInstanceId,
    long RetentionTimeMs,
    IReadOnlyList<OffsetCommitEntry> Offsets);

public readonly record struct OffsetCommitEntry(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata, long CommitTimestamp = -1);

public readonly record struct FetchedOffset(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata, ErrorCode Error);

public sealed record OffsetFetchResult(ErrorCode Error, IReadOnlyList<FetchedOffset> Offsets);

public sealed record GroupListing(string GroupId, string ProtocolType, GroupState State, string GroupType = "classic");

public sealed record MemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, byte[] Metadata, byte[] Assignment);

public sealed record GroupDescription(ErrorCode Error, string GroupId, GroupState State, string ProtocolType, string ProtocolName, IReadOnlyList<MemberDescription> Members)
{
    /// <summary>Kafka's wire names for the states.</summary>
    public string StateName => State.ToString();
}

public sealed record OffsetDeleteResult(ErrorCode Error, IReadOnlyList<(TopicPartition Partition, ErrorCode Error)> Partitions);
