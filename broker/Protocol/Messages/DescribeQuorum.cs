using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// DescribeQuorum 0–2 (KIP-595, KIP-836, KIP-853): the state of the KRaft metadata quorum, asked for
/// <c>__cluster_metadata-0</c>. The request is the same in every version.
/// </summary>
[ApiMessage(ApiKey.DescribeQuorum, MessageKind.Request, 0, 2, FlexibleFrom = 0)]
public sealed class DescribeQuorumRequest
{
    [Field(0)]
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
    }
}

/// <summary>
/// DescribeQuorum 0–2 response. The v1 tagged field HighWatermarkUpdateTimeMs (ignorable, later removed from the
/// spec) is not modelled: tagged fields we do not know are skipped on read. v2 adds error messages, each replica's
/// directory id and the voters' endpoints (Nodes).
/// </summary>
[ApiMessage(ApiKey.DescribeQuorum, MessageKind.Response, 0, 2, FlexibleFrom = 0)]
public sealed class DescribeQuorumResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1, Versions = "2+", NullableVersions = "2+", Ignorable = true)]
    public string? ErrorMessage { get; set; }

    [Field(2)]
    public List<TopicData> Topics { get; set; } = [];

    [Field(3, Versions = "2+")]
    public List<Node> Nodes { get; set; } = [];

    public sealed class Node
    {
        [Field(0)]
        public int NodeId { get; set; }

        [Field(1)]
        public List<Listener> Listeners { get; set; } = [];
    }

    public sealed class Listener
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public string Host { get; set; } = "";

        [Field(2)]
        public ushort Port { get; set; }
    }

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

        [Field(2, Versions = "2+", NullableVersions = "2+", Ignorable = true)]
        public string? ErrorMessage { get; set; }

        /// <summary>The current leader, or -1 if it is unknown.</summary>
        [Field(3)]
        public int LeaderId { get; set; } = -1;

        [Field(4)]
        public int LeaderEpoch { get; set; }

        [Field(5)]
        public long HighWatermark { get; set; }

        [Field(6)]
        public List<ReplicaState> CurrentVoters { get; set; } = [];

        [Field(7)]
        public List<ReplicaState> Observers { get; set; } = [];
    }

    public sealed class ReplicaState
    {
        [Field(0)]
        public int ReplicaId { get; set; }

        /// <summary>The replica's log directory id (KIP-853); zero when unknown, as here (no directory ids yet).</summary>
        [Field(1, Versions = "2+")]
        public Guid ReplicaDirectoryId { get; set; }

        /// <summary>The last known log end offset of the replica, or -1 if it is unknown.</summary>
        [Field(2)]
        public long LogEndOffset { get; set; }

        /// <summary>Leader wall clock (Unix ms) of the replica's last fetch; -1 if unknown.</summary>
        [Field(3, Versions = "1+", Ignorable = true)]
        public long LastFetchTimestamp { get; set; } = -1;

        /// <summary>Leader wall clock (Unix ms) when the replica was last caught up to the high watermark; -1 if unknown.</summary>
        [Field(4, Versions = "1+", Ignorable = true)]
        public long LastCaughtUpTimestamp { get; set; } = -1;
    }
}
