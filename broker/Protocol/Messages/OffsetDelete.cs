using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.OffsetDelete, MessageKind.Request, 0, 0)]
public sealed class OffsetDeleteRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    [Field(1)]
    public List<OffsetDeleteRequestTopic> Topics { get; set; } = [];

    public sealed class OffsetDeleteRequestTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<OffsetDeleteRequestPartition> Partitions { get; set; } = [];
    }

    public sealed class OffsetDeleteRequestPartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }
    }
}

[ApiMessage(ApiKey.OffsetDelete, MessageKind.Response, 0, 0)]
public sealed class OffsetDeleteResponse
{
    [Field(0)]
    public short ErrorCode { get; set; }

    [Field(1, Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(2)]
    public List<OffsetDeleteResponseTopic> Topics { get; set; } = [];

    public sealed class OffsetDeleteResponseTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<OffsetDeleteResponsePartition> Partitions { get; set; } = [];
    }

    public sealed class OffsetDeleteResponsePartition
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }
    }
}
