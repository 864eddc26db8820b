using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>DescribeQuorum 0–1 (KIP-595, KIP-836): the state of the KRaft metadata quorum, asked for <c>__cluster_metadata-0</c>.</summary>
[ApiMessage(ApiKey.DescribeQuorum, MessageKind.Request, 0, 1, FlexibleFrom = 0)]
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
/// DescribeQuorum 0–1 response. The v1 tagged field HighWatermarkUpdateTimeMs (ignorable, later removed from the
/// spec) is not modelled: tagged fields we do not know are skipped on read.
/// </summary>
[ApiMessage(ApiKey.DescribeQuorum, MessageKind.Response, 0, 1, FlexibleFrom = 0)]
public sealed class DescribeQuorumResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1)]
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

        [Field(1)]
        public short ErrorCode { get; set; }

        /// <summary>The current leader, or -1 if it is unknown.</summary>
        [Field(2)]
        public int LeaderId { get; set; } = -1;

        [Field(3)]
        public int LeaderEpoch { get; set; }

        [Field(4)]
        public long HighWatermark { get; set; }

        [Field(5)]
        public List<ReplicaState> CurrentVoters { get; set; } = [];

        [Field(6)]
        public List<ReplicaState> Observers { get; set; } = [];
    }

    public sealed class ReplicaState
    {
        [Field(0)]
        public int ReplicaId { get; set; }

        /// <summary>The last known log end offset of the replica, or -1 if it is unknown.</summary>
        [Field(1)]
        public long LogEndOffset { get; set; }

        /// <summary>Leader wall clock (Unix ms) of the replica's last fetch; -1 if unknown.</summary>
        [Field(2, Versions = "1+", Ignorable = true)]
        public long LastFetchTimestamp { get; set; } = -1;

        /// <summary>Leader wall clock (Unix ms) when the replica was last caught up to the high watermark; -1 if unknown.</summary>
        [Field(3, Versions = "1+", Ignorable = true)]
        public long LastCaughtUpTimestamp { get; set; } = -1;
    }
}
