using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

// The KRaft quorum's RPCs (KIP-595), served on the CONTROLLER listener only. Each names the metadata partition
// (__cluster_metadata-0) in a one-topic, one-partition list, as Kafka's do.

/// <summary>
/// Vote 0–2: a candidate (or, v2's PreVote, a prospective candidate, KIP-996) asks a voter for its vote. v1 adds
/// the receiving voter's id and the directory ids (KIP-853); v2 adds PreVote and renames the candidate fields to
/// the replica's.
/// </summary>
[ApiMessage(ApiKey.Vote, MessageKind.Request, 0, 2, FlexibleFrom = 0)]
public sealed class VoteRequest
{
    [Field(0, NullableVersions = "0+")]
    public string? ClusterId { get; set; }

    [Field(1, Versions = "1+", Ignorable = true)]
    public int VoterId { get; set; } = -1;

    [Field(2)]
    public List<TopicData> Topics { get; set; } = [];

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

        /// <summary>The candidate's bumped epoch (its current epoch for a pre-vote).</summary>
        [Field(1)]
        public int ReplicaEpoch { get; set; }

        [Field(2)]
        public int ReplicaId { get; set; }

        [Field(3, Versions = "1+", Ignorable = true)]
        public Guid ReplicaDirectoryId { get; set; }

        [Field(4, Versions = "1+", Ignorable = true)]
        public Guid VoterDirectoryId { get; set; }

        [Field(5)]
        public int LastOffsetEpoch { get; set; }

        /// <summary>The candidate's log end offset.</summary>
        [Field(6)]
        public long LastOffset { get; set; }

        /// <summary>Only versions 2+ can ask for a pre-vote; an older voter would count it as a real vote.</summary>
        [Field(7, Versions = "2+")]
        public bool PreVote { get; set; }
    }
}

[ApiMessage(ApiKey.Vote, MessageKind.Response, 0, 2, FlexibleFrom = 0)]
public sealed class VoteResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1)]
    public List<TopicData> Topics { get; set; } = [];

    [Field(2, Versions = "1+", Tag = 0)]
    public List<QuorumNodeEndpoint> NodeEndpoints { get; set; } = [];

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
        public short ErrorCode { get; set; }

        [Field(2)]
        public int LeaderId { get; set; } = -1;

        [Field(3)]
        public int LeaderEpoch { get; set; } = -1;

        [Field(4)]
        public bool VoteGranted { get; set; }
    }
}

/// <summary>A quorum node's address, as the quorum responses' NodeEndpoints list it (KIP-853).</summary>
public sealed class QuorumNodeEndpoint
{
    [Field(0)]
    public int NodeId { get; set; }

    [Field(1)]
    public string Host { get; set; } = "";

    [Field(2)]
    public int Port { get; set; }
}

/// <summary>A leader's listener, as BeginQuorumEpoch and EndQuorumEpoch v1 carry it.</summary>
public sealed class QuorumLeaderEndpoint
{
    [Field(0)]
    public string Name { get; set; } = "";

    [Field(1)]
    public string Host { get; set; } = "";

    [Field(2)]
    public int Port { get; set; }
}
