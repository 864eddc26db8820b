using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.ListOffsets, MessageKind.Request, 1, 8, FlexibleFrom = 6)]
public sealed class ListOffsetsRequest
{
    [Field(0)]
    public int ReplicaId { get; set; }

    [Field(1, Versions = "2+")]
    public sbyte IsolationLevel { get; set; }

    [Field(2)]
    public List<ListOffsetsTopic> Topics { get; set; } = [];

    public sealed class ListOffsetsTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<ListOffsetsPartition> Partitions { get; set; } = [];
    }

    public sealed class ListOffsetsPartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1, Versions = "4+", Ignorable = true)]
        public int CurrentLeaderEpoch { get; set; } = -1;

        [Field(2)]
        public long Timestamp { get; set; }
    }
}

[ApiMessage(ApiKey.ListOffsets, MessageKind.Response, 1, 8, FlexibleFrom = 6)]
public sealed class ListOffsetsResponse
{
    [Field(0, Versions = "2+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<ListOffsetsTopicResponse> Topics { get; set; } = [];

    public sealed class ListOffsetsTopicResponse
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<ListOffsetsPartitionResponse> Partitions { get; set; } = [];
    }

    public sealed class ListOffsetsPartitionResponse
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2, Versions = "1+")]
        public long Timestamp { get; set; } = -1;

        [Field(3, Versions = "1+")]
        public long Offset { get; set; } = -1;

        // Ignorable here (not in the JSON) so handlers may fill it for every version: v1-v3 clients never read it.
        [Field(4, Versions = "4+", Ignorable = true)]
        public int LeaderEpoch { get; set; } = -1;
    }
}
