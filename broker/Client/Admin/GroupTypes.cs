namespace KafkaOperator.Client.Admin;

public sealed record GroupListing(string GroupId, string ProtocolType, string State, int CoordinatorId);

public sealed record GroupMember(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost)
{
    /// <summary>The member's protocol metadata (ConsumerProtocolSubscription for consumer groups).</summary>
    public byte[] Metadata { get; init; } = [];

    /// <summary>The member's assignment (ConsumerProtocolAssignment for consumer groups); empty before SyncGroup.</summary>
    public byte[] Assignment { get; init; } = [];
}

public sealed record GroupDescription(string GroupId, string State, string ProtocolType, string Protocol,
    IReadOnlyList<GroupMember> Members, int CoordinatorId, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>A committed offset of a group for one partition (-1 when the group has none).</summary>
public sealed record GroupOffset(TopicPartition Partition, long Offset, string? Metadata, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record GroupResult(string GroupId, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}
