using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Messages;

/// <summary>
/// Versions 4+ only (message format v2). v13+ name topics by id instead of name. v17 adds the replica's directory
/// id (KIP-853) and v18 the follower's high watermark (KIP-1166); only the metadata quorum's Fetch on the CONTROLLER
/// listener uses them, the client listeners' Fetch handler stops at 16.
/// </summary>
[ApiMessage(ApiKey.Fetch, MessageKind.Request, 4, 18, FlexibleFrom = 12)]
public sealed class FetchRequest
{
    [Field(0, Versions = "12+", NullableVersions = "12+", Tag = 0, Ignorable = true)]
    public string? ClusterId { get; set; }

    [Field(1, Versions = "0-14")]
    public int ReplicaId { get; set; } = -1;

    /// <summary>The nested type is ReplicaStateData because C# forbids a member and a nested type of the same name.</summary>
    [Field(2, Versions = "15+", Tag = 1)]
    public ReplicaStateData ReplicaState { get; set; } = new();

    [Field(3)]
    public int MaxWaitMs { get; set; }

    [Field(4)]
    public int MinBytes { get; set; }

    [Field(5, Versions = "3+", Ignorable = true)]
    public int MaxBytes { get; set; } = int.MaxValue;

    [Field(6, Versions = "4+", Ignorable = true)]
    public sbyte IsolationLevel { get; set; }

    [Field(7, Versions = "7+", Ignorable = true)]
    public int SessionId { get; set; }

    [Field(8, Versions = "7+", Ignorable = true)]
    public int SessionEpoch { get; set; } = -1;

    [Field(9)]
    public List<FetchTopic> Topics { get; set; } = [];

    [Field(10, Versions = "7+")]
    public List<ForgottenTopic> ForgottenTopicsData { get; set; } = [];

    [Field(11, Versions = "11+", Ignorable = true)]
    public string RackId { get; set; } = "";

    public sealed class ReplicaStateData
    {
        [Field(0, Versions = "15+")]
        public int ReplicaId { get; set; } = -1;

        [Field(1, Versions = "15+")]
        public long ReplicaEpoch { get; set; } = -1;
    }

    public sealed class FetchTopic
    {
        [Field(0, Versions = "0-12", Ignorable = true)]
        public string Topic { get; set; } = "";

        [Field(1, Versions = "13+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public List<FetchPartition> Partitions { get; set; } = [];
    }

    public sealed class FetchPartition
    {
        [Field(0)]
        public int Partition { get; set; }

        [Field(1, Versions = "9+", Ignorable = true)]
        public int CurrentLeaderEpoch { get; set; } = -1;

        [Field(2)]
        public long FetchOffset { get; set; }

        [Field(3, Versions = "12+")]
        public int LastFetchedEpoch { get; set; } = -1;

        [Field(4, Versions = "5+", Ignorable = true)]
        public long LogStartOffset { get; set; } = -1;

        [Field(5)]
        public int PartitionMaxBytes { get; set; }

        [Field(6, Versions = "17+", Tag = 0, Ignorable = true)]
        public Guid ReplicaDirectoryId { get; set; }

        /// <summary>The high watermark the follower knows; long.MaxValue when it knows none (the leader then answers as before KIP-1166).</summary>
        [Field(7, Versions = "18+", Tag = 1, Ignorable = true)]
        public long HighWatermark { get; set; } = long.MaxValue;
    }

    public sealed class ForgottenTopic
    {
        [Field(0, Versions = "7-12", Ignorable = true)]
        public string Topic { get; set; } = "";

        [Field(1, Versions = "13+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2, Versions = "7+")]
        public List<int> Partitions { get; set; } = [];
    }
}

[ApiMessage(ApiKey.Fetch, MessageKind.Response, 4, 18, FlexibleFrom = 12)]
public sealed class FetchResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1, Versions = "7+", Ignorable = true)]
    public short ErrorCode { get; set; }

    [Field(2, Versions = "7+")]
    public int SessionId { get; set; }

    [Field(3)]
    public List<FetchableTopicResponse> Responses { get; set; } = [];

    [Field(4, Versions = "16+", Tag = 0)]
    public List<NodeEndpoint> NodeEndpoints { get; set; } = [];

    public sealed class FetchableTopicResponse
    {
        [Field(0, Versions = "0-12", Ignorable = true)]
        public string Topic { get; set; } = "";

        [Field(1, Versions = "13+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public List<PartitionData> Partitions { get; set; } = [];
    }

    public sealed class PartitionData
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2)]
        public long HighWatermark { get; set; }

        [Field(3, Versions = "4+", Ignorable = true)]
        public long LastStableOffset { get; set; } = -1;

        [Field(4, Versions = "5+", Ignorable = true)]
        public long LogStartOffset { get; set; } = -1;

        [Field(5, Versions = "12+", Tag = 0)]
        public EpochEndOffset DivergingEpoch { get; set; } = new();

        [Field(6, Versions = "12+", Tag = 1)]
        public LeaderIdAndEpoch CurrentLeader { get; set; } = new();

        [Field(7, Versions = "12+", Tag = 2)]
        public SnapshotId SnapshotId { get; set; } = new();

        [Field(8, Versions = "4+", NullableVersions = "4+", Ignorable = true)]
        public List<AbortedTransaction>? AbortedTransactions { get; set; } = [];

        [Field(9, Versions = "11+")]
        public int PreferredReadReplica { get; set; } = -1;

        /// <summary>Written as-is after its length: a file slice, a pooled buffer, or null.</summary>
        [Field(10, NullableVersions = "0+")]
        public RecordSet? Records { get; set; }
    }

    public sealed class EpochEndOffset
    {
        [Field(0, Versions = "12+")]
        public int Epoch { get; set; } = -1;

        [Field(1, Versions = "12+")]
        public long EndOffset { get; set; } = -1;
    }

    public sealed class LeaderIdAndEpoch
    {
        [Field(0, Versions = "12+")]
        public int LeaderId { get; set; } = -1;

        [Field(1, Versions = "12+")]
        public int LeaderEpoch { get; set; } = -1;
    }

    public sealed class SnapshotId
    {
        [Field(0)]
        public long EndOffset { get; set; } = -1;

        [Field(1)]
        public int Epoch { get; set; } = -1;
    }

    public sealed class AbortedTransaction
    {
        [Field(0, Versions = "4+")]
        public long ProducerId { get; set; }

        [Field(1, Versions = "4+")]
        public long FirstOffset { get; set; }
    }

    public sealed class NodeEndpoint
    {
        [Field(0, Versions = "16+")]
        public int NodeId { get; set; }

        [Field(1, Versions = "16+")]
        public string Host { get; set; } = "";

        [Field(2, Versions = "16+")]
        public int Port { get; set; }

        [Field(3, Versions = "16+", NullableVersions = "16+")]
        public string? Rack { get; set; }
    }
}
