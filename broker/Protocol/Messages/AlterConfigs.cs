using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.AlterConfigs, MessageKind.Request, 0, 2, FlexibleFrom = 2)]
public sealed class AlterConfigsRequest
{
    [Field(0)]
    public List<AlterConfigsResource> Resources { get; set; } = [];

    [Field(1)]
    public bool ValidateOnly { get; set; }

    public sealed class AlterConfigsResource
    {
        [Field(0)]
        public sbyte ResourceType { get; set; }

        [Field(1)]
        public string ResourceName { get; set; } = "";

        [Field(2)]
        public List<AlterableConfig> Configs { get; set; } = [];
    }

    public sealed class AlterableConfig
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1, NullableVersions = "0+")]
        public string? Value { get; set; }
    }
}

[ApiMessage(ApiKey.AlterConfigs, MessageKind.Response, 0, 2, FlexibleFrom = 2)]
public sealed class AlterConfigsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<AlterConfigsResourceResponse> Responses { get; set; } = [];

    public sealed class AlterConfigsResourceResponse
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1, NullableVersions = "0+")]
        public string? ErrorMessage { get; set; }

        [Field(2)]
        public sbyte ResourceType { get; set; }

        [Field(3)]
        public string ResourceName { get; set; } = "";
    }
}
