using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Messages;

/// <summary>FetchSnapshot 0–1 (KIP-630): a chunk of the leader's metadata snapshot by byte position. v1 adds the replica's directory id (KIP-853).</summary>
[ApiMessage(ApiKey.FetchSnapshot, MessageKind.Request, 0, 1, FlexibleFrom = 0)]
public sealed class FetchSnapshotRequest
{
    [Field(0, NullableVersions = "0+", Tag = 0)]
    public string? ClusterId { get; set; }

    [Field(1)]
    public int ReplicaId { get; set; } = -1;

    [Field(2)]
    public int MaxBytes { get; set; } = int.MaxValue;

    [Field(3)]
    public List<TopicSnapshot> Topics { get; set; } = [];

    public sealed class TopicSnapshot
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<PartitionSnapshot> Partitions { get; set; } = [];
    }

    public sealed class PartitionSnapshot
    {
        [Field(0)]
        public int Partition { get; set; }

        [Field(1)]
        public int CurrentLeaderEpoch { get; set; } = -1;

        [Field(2)]
        public SnapshotIdData SnapshotId { get; set; } = new();

        [Field(3)]
        public long Position { get; set; }

        [Field(4, Versions = "1+", Tag = 0, Ignorable = true)]
        public Guid ReplicaDirectoryId { get; set; }
    }

    public sealed class SnapshotIdData
    {
        [Field(0)]
        public long EndOffset { get; set; } = -1;

        [Field(1)]
        public int Epoch { get; set; } = -1;
    }
}

/// <summary>FetchSnapshot 0–1 response; v1 adds the leader's endpoint (NodeEndpoints).</summary>
[ApiMessage(ApiKey.FetchSnapshot, MessageKind.Response, 0, 1, FlexibleFrom = 0)]
public sealed class FetchSnapshotResponse
{
    [Field(0, Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2)]
    public List<TopicSnapshot> Topics { get; set; } = [];

    [Field(3, Versions = "1+", Tag = 0)]
    public List<QuorumNodeEndpoint> NodeEndpoints { get; set; } = [];

    public sealed class TopicSnapshot
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<PartitionSnapshot> Partitions { get; set; } = [];
    }

    public sealed class PartitionSnapshot
    {
        [Field(0)]
        public int Index { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2)]
        public FetchSnapshotRequest.SnapshotIdData SnapshotId { get; set; } = new();

        [Field(3, Tag = 0)]
        public LeaderIdAndEpoch CurrentLeader { get; set; } = new();

        [Field(4)]
        public long Size { get; set; }

        [Field(5)]
        public long Position { get; set; }

        /// <summary>Snapshot bytes from Position, not aligned on a batch boundary.</summary>
        [Field(6)]
        public RecordSet Bytes { get; set; } = MemoryRecordSet.Empty;
    }

    public sealed class LeaderIdAndEpoch
    {
        [Field(0)]
        public int LeaderId { get; set; } = -1;

        [Field(1)]
        public int LeaderEpoch { get; set; } = -1;
    }
}
