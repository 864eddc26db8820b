using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Messages;

/// <summary>Versions 3+ only: earlier versions carry message formats v0/v1, which this broker does not accept.</summary>
[ApiMessage(ApiKey.Produce, MessageKind.Request, 3, 11, FlexibleFrom = 9)]
public sealed class ProduceRequest
{
    [Field(0, Versions = "3+", NullableVersions = "3+")]
    public string? TransactionalId { get; set; }

    [Field(1)]
    public short Acks { get; set; }

    [Field(2)]
    public int TimeoutMs { get; set; }

    [Field(3)]
    public List<TopicProduceData> TopicData { get; set; } = [];

    public sealed class TopicProduceData
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<PartitionProduceData> PartitionData { get; set; } = [];
    }

    public sealed class PartitionProduceData
    {
        [Field(0)]
        public int Index { get; set; }

        /// <summary>A slice of the request frame: valid only while the frame's buffer is.</summary>
        [Field(1, NullableVersions = "0+")]
        public RecordSet? Records { get; set; }
    }
}

[ApiMessage(ApiKey.Produce, MessageKind.Response, 3, 11, FlexibleFrom = 9)]
public sealed class ProduceResponse
{
    [Field(0)]
    public List<TopicProduceResponse> Responses { get; set; } = [];

    [Field(1, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(2, Versions = "10+", Tag = 0)]
    public List<NodeEndpoint> NodeEndpoints { get; set; } = [];

    public sealed class TopicProduceResponse
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public List<PartitionProduceResponse> PartitionResponses { get; set; } = [];
    }

    public sealed class PartitionProduceResponse
    {
        [Field(0)]
        public int Index { get; set; }

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2)]
        public long BaseOffset { get; set; }

        [Field(3, Versions = "2+", Ignorable = true)]
        public long LogAppendTimeMs { get; set; } = -1;

        [Field(4, Versions = "5+", Ignorable = true)]
        public long LogStartOffset { get; set; } = -1;

        [Field(5, Versions = "8+", Ignorable = true)]
        public List<BatchIndexAndErrorMessage> RecordErrors { get; set; } = [];

        [Field(6, Versions = "8+", NullableVersions = "8+", Ignorable = true)]
        public string? ErrorMessage { get; set; }

        [Field(7, Versions = "10+", Tag = 0)]
        public LeaderIdAndEpoch CurrentLeader { get; set; } = new();
    }

    public sealed class BatchIndexAndErrorMessage
    {
        [Field(0, Versions = "8+")]
        public int BatchIndex { get; set; }

        [Field(1, Versions = "8+", NullableVersions = "8+")]
        public string? BatchIndexErrorMessage { get; set; }
    }

    public sealed class LeaderIdAndEpoch
    {
        [Field(0, Versions = "10+")]
        public int LeaderId { get; set; } = -1;

        [Field(1, Versions = "10+")]
        public int LeaderEpoch { get; set; } = -1;
    }

    public sealed class NodeEndpoint
    {
        [Field(0, Versions = "10+")]
        public int NodeId { get; set; }

        [Field(1, Versions = "10+")]
        public string Host { get; set; } = "";

        [Field(2, Versions = "10+")]
        public int Port { get; set; }

        [Field(3, Versions = "10+", NullableVersions = "10+")]
        public string? Rack { get; set; }
    }
}
