using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.OffsetCommit, MessageKind.Request, 0, 9, FlexibleFrom = 8)]
public sealed class OffsetCommitRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    /// <summary>The generation (classic groups) or member epoch (KIP-848 groups); "GenerationId" before v9's JSON.</summary>
    [Field(1, Versions = "1+", Ignorable = true)]
    public int GenerationIdOrMemberEpoch { get; set; } = -1;

    [Field(2, Versions = "1+", Ignorable = true)]
    public string MemberId { get; set; } = "";

    [Field(3, Versions = "7+", NullableVersions = "7+", Ignorable = true)]
    public string? GroupInstanceId { get; set; }

    [Field(4, Versions = "2-4", Ignorable = true)]
    public long RetentionTimeMs { get; set; } = -1;

    [Field(5)]
    public List<OffsetCommitRequestTopic> Topics { get; set; } = [];

    public sealed class OffsetCommitRequestTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<OffsetCommitRequestPartition> Partitions { get; set; } = [];
    }

    public sealed class OffsetCommitRequestPartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public long CommittedOffset { get; set; }

        [Field(2, Versions = "6+", Ignorable = true)]
        public int CommittedLeaderEpoch { get; set; } = -1;

        [Field(3, Versions = "1", Ignorable = true)]
        public long CommitTimestamp { get; set; } = -1;

        [Field(4, NullableVersions = "0+")]
        public string? CommittedMetadata { get; set; }
    }
}

[ApiMessage(ApiKey.OffsetCommit, MessageKind.Response, 0, 9, FlexibleFrom = 8)]
public sealed class OffsetCommitResponse
{
    [Field(0, Versions = "3+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<OffsetCommitResponseTopic> Topics { get; set; } = [];

    public sealed class OffsetCommitResponseTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<OffsetCommitResponsePartition> Partitions { get; set; } = [];
    }

    public sealed class OffsetCommitResponsePartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }
    }
}
