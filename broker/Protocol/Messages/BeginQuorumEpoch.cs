using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>BeginQuorumEpoch 0–1: a new leader tells a voter it was elected. v1 is flexible and adds the voter key and the leader's endpoints (KIP-853).</summary>
[ApiMessage(ApiKey.BeginQuorumEpoch, MessageKind.Request, 0, 1, FlexibleFrom = 1)]
public sealed class BeginQuorumEpochRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1, Versions = "1+", Ignorable = true)]
    public int VoterId { get; set; } = -1;

    [Field(2)]
    public List<TopicData> Topics { get; set; } = [];

    [Field(3, Versions = "1+", Ignorable = true)]
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

        [Field(1, Versions = "1+", Ignorable = true)]
        public Guid VoterDirectoryId { get; set; }

        [Field(2)]
        public int LeaderId { get; set; }

        [Field(3)]
        public int LeaderEpoch { get; set; }
    }
}

[ApiMessage(ApiKey.BeginQuorumEpoch, MessageKind.Response, 0, 1, FlexibleFrom = 1)]
public sealed class BeginQuorumEpochResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1)]
    public List<QuorumPartitionTopic> Topics { get; set; } = [];

    [Field(2, Versions = "1+", Tag = 0)]
    public List<QuorumNodeEndpoint> NodeEndpoints { get; set; } = [];
}

/// <summary>The topic list BeginQuorumEpoch and EndQuorumEpoch answer with: each partition's error and leader.</summary>
public sealed class QuorumPartitionTopic
{
    [Field(0)]
    public string TopicName { get; set; } = "";

    [Field(1)]
    public List<QuorumPartitionLeader> Partitions { get; set; } = [];
}

public sealed class QuorumPartitionLeader
{
    [Field(0)]
    public int PartitionIndex { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2)]
    public int LeaderId { get; set; } = -1;

    [Field(3)]
    public int LeaderEpoch { get; set; } = -1;
}
