using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.AlterPartitionReassignments, MessageKind.Request, 0, 1, FlexibleFrom = 0)]
public sealed class AlterPartitionReassignmentsRequest
{
    [Field(0)]
    public int TimeoutMs { get; set; } = 60000;

    /// <summary>KIP-860: false refuses a target with another replica count (INVALID_REPLICATION_FACTOR).</summary>
    [Field(1, Versions = "1+")]
    public bool AllowReplicationFactorChange { get; set; } = true;

    [Field(2)]
    public List<ReassignableTopic> Topics { get; set; } = [];

    public sealed class ReassignableTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<ReassignablePartition> Partitions { get; set; } = [];
    }

    public sealed class ReassignablePartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        /// <summary>The target replicas; null cancels the partition's reassignment.</summary>
        [Field(1, NullableVersions = "0+")]
        public List<int>? Replicas { get; set; }
    }
}

[ApiMessage(ApiKey.AlterPartitionReassignments, MessageKind.Response, 0, 1, FlexibleFrom = 0)]
public sealed class AlterPartitionReassignmentsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1, Versions = "1+", Ignorable = true)]
    public bool AllowReplicationFactorChange { get; set; } = true;

    [Field(2)]
    public short ErrorCode { get; set; }

    [Field(3, NullableVersions = "0+")]
    public string? ErrorMessage { get; set; }

    [Field(4)]
    public List<ReassignableTopicResponse> Responses { get; set; } = [];

    public sealed class ReassignableTopicResponse
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<ReassignablePartitionResponse> Partitions { get; set; } = [];
    }

    public sealed class ReassignablePartitionResponse
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2, NullableVersions = "0+")]
        public string? ErrorMessage { get; set; }
    }
}
