using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.CreatePartitions, MessageKind.Request, 0, 3, FlexibleFrom = 2)]
public sealed class CreatePartitionsRequest
{
    [Field(0)]
    public List<CreatePartitionsTopic> Topics { get; set; } = [];

    [Field(1)]
    public int TimeoutMs { get; set; }

    [Field(2)]
    public bool ValidateOnly { get; set; }

    public sealed class CreatePartitionsTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public int Count { get; set; }

        /// <summary>Null when the broker chooses the placement.</summary>
        [Field(2, NullableVersions = "0+")]
        public List<CreatePartitionsAssignment>? Assignments { get; set; } = [];
    }

    public sealed class CreatePartitionsAssignment
    {
        [Field(0)]
        public List<int> BrokerIds { get; set; } = [];
    }
}

[ApiMessage(ApiKey.CreatePartitions, MessageKind.Response, 0, 3, FlexibleFrom = 2)]
public sealed class CreatePartitionsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<CreatePartitionsTopicResult> Results { get; set; } = [];

    public sealed class CreatePartitionsTopicResult
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public short ErrorCode { get; set; }

        [Field(2, NullableVersions = "0+")]
        public string? ErrorMessage { get; set; }
    }
}
