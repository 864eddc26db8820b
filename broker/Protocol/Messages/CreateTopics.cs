using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.CreateTopics, MessageKind.Request, 0, 7, FlexibleFrom = 5)]
public sealed class CreateTopicsRequest
{
    [Field(0)]
    public List<CreatableTopic> Topics { get; set; } = [];

    /// <summary>"timeoutMs" in the JSON; PascalCase here like every other property.</summary>
    [Field(1)]
    public int TimeoutMs { get; set; } = 60000;

    /// <summary>"validateOnly" in the JSON.</summary>
    [Field(2, Versions = "1+")]
    public bool ValidateOnly { get; set; }

    public sealed class CreatableTopic
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public int NumPartitions { get; set; }

        [Field(2)]
        public short ReplicationFactor { get; set; }

        [Field(3)]
        public List<CreatableReplicaAssignment> Assignments { get; set; } = [];

        [Field(4)]
        public List<CreateableTopicConfig> Configs { get; set; } = [];
    }

    public sealed class CreatableReplicaAssignment
    {
        [Field(0)]
        public int PartitionIndex { get; set; }

        [Field(1)]
        public List<int> BrokerIds { get; set; } = [];
    }

    /// <summary>The JSON spells the struct "CreateableTopicConfig".</summary>
    public sealed class CreateableTopicConfig
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1, NullableVersions = "0+")]
        public string? Value { get; set; }
    }
}

[ApiMessage(ApiKey.CreateTopics, MessageKind.Response, 0, 7, FlexibleFrom = 5)]
public sealed class CreateTopicsResponse
{
    [Field(0, Versions = "2+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<CreatableTopicResult> Topics { get; set; } = [];

    public sealed class CreatableTopicResult
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1, Versions = "7+", Ignorable = true)]
        public Guid TopicId { get; set; }

        [Field(2)]
        public short ErrorCode { get; set; }

        [Field(3, Versions = "1+", NullableVersions = "0+", Ignorable = true)]
        public string? ErrorMessage { get; set; }

        [Field(4, Versions = "5+", Tag = 0, Ignorable = true)]
        public short TopicConfigErrorCode { get; set; }

        [Field(5, Versions = "5+", Ignorable = true)]
        public int NumPartitions { get; set; } = -1;

        [Field(6, Versions = "5+", Ignorable = true)]
        public short ReplicationFactor { get; set; } = -1;

        [Field(7, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
        public List<CreatableTopicConfigs>? Configs { get; set; } = [];
    }

    public sealed class CreatableTopicConfigs
    {
        [Field(0, Versions = "5+")]
        public string Name { get; set; } = "";

        [Field(1, Versions = "5+", NullableVersions = "5+")]
        public string? Value { get; set; }

        [Field(2, Versions = "5+")]
        public bool ReadOnly { get; set; }

        [Field(3, Versions = "5+", Ignorable = true)]
        public sbyte ConfigSource { get; set; } = -1;

        [Field(4, Versions = "5+")]
        public bool IsSensitive { get; set; }
    }
}
