using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// EndQuorumEpoch 0–1: a resigning leader asks the voters to elect a successor now. v1 is flexible, replaces
/// PreferredSuccessors with PreferredCandidates (with directory ids) and adds the leader's endpoints (KIP-853).
/// </summary>
[ApiMessage(ApiKey.EndQuorumEpoch, MessageKind.Request, 0, 1, FlexibleFrom = 1)]
public sealed class EndQuorumEpochRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1)]
    public List<TopicData> Topics { get; set; } = [];

    [Field(2, Versions = "1+", Ignorable = true)]
    public List<QuorumLeaderEndpoint> LeaderEndpoints { get; set; } = [];

    public sealed class TopicData
    {
        [Field(0)]
        public string TopicName { get; set; } = "";

        [Field(1)]
        public List<PartitionData> Partitions { get; set; } = [];
    }

    public sealed class PartitionData
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public int LeaderId { get; set; }

        [Field(2)]
        public int LeaderEpoch { get; set; }

        [Field(3, Versions = "0", Ignorable = true)]
        public List<int> PreferredSuccessors { get; set; } = [];

        [Field(4, Versions = "1+", Ignorable = true)]
        public List<ReplicaInfo> PreferredCandidates { get; set; } = [];
    }

    public sealed class ReplicaInfo
    {
        [Field(0)]
        public int CandidateId { get; set; }

        [Field(1)]
        public Guid CandidateDirectoryId { get; set; }
    }
}

[ApiMessage(ApiKey.EndQuorumEpoch, MessageKind.Response, 0, 1, FlexibleFrom = 1)]
public sealed class EndQuorumEpochResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1)]
    public List<QuorumPartitionTopic> Topics { get; set; } = [];

    [Field(2, Versions = "1+", Tag = 0)]
    public List<QuorumNodeEndpoint> NodeEndpoints { get; set; } = [];
}
