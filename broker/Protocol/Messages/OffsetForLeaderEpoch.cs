using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.OffsetForLeaderEpoch, MessageKind.Request, 0, 4, FlexibleFrom = 4)]
public sealed class OffsetForLeaderEpochRequest
{
    /// <summary>-2 is the "debug" consumer, allowed to see offsets beyond the high watermark.</summary>
    [Field(0, Versions = "3+", Ignorable = true)]
    public int ReplicaId { get; set; } = -2;

    [Field(1)]
    public List<OffsetForLeaderTopic> Topics { get; set; } = [];

    public sealed class OffsetForLeaderTopic
    {
        [Field(0)]
        public string Topic { get; set; } = "";

        [Field(1)]
        public List<OffsetForLeaderPartition> Partitions { get; set; } = [];
    }

    public sealed class OffsetForLeaderPartition
    {
        [Field(0)]
        public int Partition { get; set; }

        [Field(1, Versions = "2+", Ignorable = true)]
        public int CurrentLeaderEpoch { get; set; } = -1;

        [Field(2)]
        public int LeaderEpoch { get; set; }
    }
}

[ApiMessage(ApiKey.OffsetForLeaderEpoch, MessageKind.Response, 0, 4, FlexibleFrom = 4)]
public sealed class OffsetForLeaderEpochResponse
{
    [Field(0, Versions = "2+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<OffsetForLeaderTopicResult> Topics { get; set; } = [];

    public sealed class OffsetForLeaderTopicResult
    {
        [Field(0)]
        public string Topic { get; set; } = "";

        [Field(1)]
        public List<OffsetForLeaderPartitionResult> Partitions { get; set; } = [];
    }

    public sealed class OffsetForLeaderPartitionResult
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1)]
        public int Partition { get; set; }

        [Field(2, Versions = "1+", Ignorable = true)]
        public int LeaderEpoch { get; set; } = -1;

        [Field(3)]
        public long EndOffset { get; set; }
    }
}
