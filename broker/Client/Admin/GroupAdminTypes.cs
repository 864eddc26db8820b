namespace KafkaOperator.Client.Admin;

/// <summary>A group as ListGroups reports it; <see cref="State"/> and <see cref="Type"/> are empty on old brokers.</summary>
public sealed record GroupListing(string GroupId, string ProtocolType, string State, string Type, int CoordinatorId);

/// <summary>A member of a classic group; metadata and assignment are the raw protocol bytes (consumer protocol for consumers).</summary>
public sealed record GroupMemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost,
    byte[] Metadata, byte[] Assignment);

/// <summary>DescribeGroups result; <see cref="Protocol"/> is the chosen assignor (e.g. "range") for consumer groups.</summary>
public sealed record GroupDescription(string GroupId, string State, string ProtocolType, string Protocol,
    IReadOnlyList<GroupMemberDescription> Members, BrokerNode? Coordinator, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>A committed offset; <see cref="Offset"/> is -1 when the group has no commit for the partition.</summary>
public sealed record GroupOffset(TopicPartition Partition, long Offset, int LeaderEpoch, string? Metadata, KafkaException? Error)
{
    public bool Succeeded => Error is null;

    public bool HasCommit => Offset >= 0;
}

/// <summary>Outcome of an operation on one group (delete) or one partition of a group (commit).</summary>
public sealed record GroupResult(string GroupId, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed record GroupPartitionResult(TopicPartition Partition, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}
