using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// ElectLeaders 0–2 (KIP-183, KIP-460): elect the preferred (0) or, when no in-sync replica is alive, the first live
/// (1, unclean) replica as leader of each partition; null topic partitions mean every partition. v0 has no election
/// type (always preferred).
/// </summary>
[ApiMessage(ApiKey.ElectLeaders, MessageKind.Request, 0, 2, FlexibleFrom = 2)]
public sealed class ElectLeadersRequest
{
    [Field(0, Versions = "1+")]
    public sbyte ElectionType { get; set; }

    [Field(1, NullableVersions = "0+")]
    public List<ElectLeadersTopic>? TopicPartitions { get; set; } = [];

    [Field(2)]
    public int TimeoutMs { get; set; } = 60000;

    /// <summary>The JSON's TopicPartitions struct (C# forbids a member and a nested type of the same name).</summary>
    public sealed class ElectLeadersTopic
    {
        [Field(0)]
        public string Topic { get; set; } = "";

        [Field(1)]
        public List<int> PartitionId { get; set; } = [];
    }
}

/// <summary>ElectLeaders 0–2 response: per partition an error (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...); v1+ a top-level error.</summary>
[ApiMessage(ApiKey.ElectLeaders, MessageKind.Response, 0, 2, FlexibleFrom = 2)]
public sealed class ElectLeadersResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1, Versions = "1+")]
    public short ErrorCode { get; set; }

    [Field(2)]
    public List<ReplicaElectionResult> ReplicaElectionResults { get; set; } = [];

    public sealed class ReplicaElectionResult
    {
        [Field(0)]
        public string Topic { get; set; } = "";

        [Field(1)]
        public List<PartitionResultData> PartitionResult { get; set; } = [];
    }

    /// <summary>The JSON's PartitionResult struct (renamed: the field holding it has that name).</summary>
    public sealed class PartitionResultData
    {
        [Field(0)]
        public int PartitionId { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2, NullableVersions = "0+")]
        public string? ErrorMessage { get; set; }
    }
}
