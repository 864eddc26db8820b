namespace KafkaOperator.Server.Groups;

public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

/// <summary>One member of a classic consumer group.</summary>
public sealed class GroupMember(string memberId, string? instanceId, string clientId, string clientHost)
{
    public string MemberId { get; } = memberId;
    public string? InstanceId { get; } = instanceId;
    public string ClientId { get; } = clientId;
    public string ClientHost { get; } = clientHost;
    public int SessionTimeoutMs { get; set; }
    public int RebalanceTimeoutMs { get; set; }
    public List<(string Name, byte[] Metadata)> Protocols { get; set; } = [];
    public byte[] Assignment { get; set; } = [];
    public long LastHeartbeatMs { get; set; }

    /// <summary>Set while the member waits in JoinGroup for the rebalance to complete.</summary>
    public TaskCompletionSource<JoinResult>? PendingJoin { get; set; }

    /// <summary>Set while the member waits in SyncGroup for the leader's assignment.</summary>
    public TaskCompletionSource<SyncResult>? PendingSync { get; set; }

    public byte[]? MetadataFor(string protocol)
    {
        foreach (var (name, metadata) in Protocols)
        {
            if (name == protocol)
                return metadata;
        }
        return null;
    }
}

/// <summary>A classic group's membership state; guarded by the coordinator's lock.</summary>
public sealed class Group(string groupId)
{
    public string GroupId { get; } = groupId;
    public GroupState State { get; set; } = GroupState.Empty;
    public int GenerationId { get; set; }
    public string? ProtocolType { get; set; }
    public string? ProtocolName { get; set; }
    public string? LeaderId { get; set; }
    public Dictionary<string, GroupMember> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED and not yet used to join.</summary>
    public HashSet<string> PendingMemberIds { get; } = new(StringComparer.Ordinal);

    /// <summary>When the current rebalance gives up on members that have not rejoined.</summary>
    public long RebalanceDeadlineMs { get; set; }

    public string StateName => State switch
    {
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        GroupState.Dead => "Dead",
        _ => "Empty",
    };
}

public readonly record struct JoinResult(short ErrorCode, int GenerationId, string? ProtocolName, string LeaderId, string MemberId, List<(string MemberId, string? InstanceId, byte[] Metadata)> Members);

public readonly record struct SyncResult(short ErrorCode, byte[] Assignment);
