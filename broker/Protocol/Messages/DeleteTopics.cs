using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.DeleteTopics, MessageKind.Request, 0, 6, FlexibleFrom = 4)]
public sealed class DeleteTopicsRequest
{
    /// <summary>v6+: topics by name or id.</summary>
    [Field(0, Versions = "6+")]
    public List<DeleteTopicState> Topics { get; set; } = [];

    /// <summary>v0-v5: topics by name.</summary>
    [Field(1, Versions = "0-5", Ignorable = true)]
    public List<string> TopicNames { get; set; } = [];

    [Field(2)]
    public int TimeoutMs { get; set; }

    public sealed class DeleteTopicState
    {
        [Field(0, Versions = "6+", NullableVersions = "6+")]
        public string? Name { get; set; }

        [Field(1, Versions = "6+")]
        public Guid TopicId { get; set; }
    }
}

[ApiMessage(ApiKey.DeleteTopics, MessageKind.Response, 0, 6, FlexibleFrom = 4)]
public sealed class DeleteTopicsResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<DeletableTopicResult> Responses { get; set; } = [];

    public sealed class DeletableTopicResult
    {
        [Field(0, NullableVersions = "6+")]
        public string? Name { get; set; } = "";

        [Field(1, Versions = "6+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public short ErrorCode { get; set; }

        [Field(3, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
        public string? ErrorMessage { get; set; }
    }
}
