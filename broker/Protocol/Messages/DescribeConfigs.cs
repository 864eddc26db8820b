using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.DescribeConfigs, MessageKind.Request, 0, 4, FlexibleFrom = 4)]
public sealed class DescribeConfigsRequest
{
    [Field(0)]
    public List<DescribeConfigsResource> Resources { get; set; } = [];

    [Field(1, Versions = "1+")]
    public bool IncludeSynonyms { get; set; }

    [Field(2, Versions = "3+")]
    public bool IncludeDocumentation { get; set; }

    public sealed class DescribeConfigsResource
    {
        [Field(0)]
        public sbyte ResourceType { get; set; }

        [Field(1)]
        public string ResourceName { get; set; } = "";

        /// <summary>Null lists every configuration key.</summary>
        [Field(2, NullableVersions = "0+")]
        public List<string>? ConfigurationKeys { get; set; } = [];
    }
}

[ApiMessage(ApiKey.DescribeConfigs, MessageKind.Response, 0, 4, FlexibleFrom = 4)]
public sealed class DescribeConfigsResponse
{
    [Field(0)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public List<DescribeConfigsResult> Results { get; set; } = [];

    public sealed class DescribeConfigsResult
    {
        [Field(0)]
        public short ErrorCode { get; set; }

        [Field(1, NullableVersions = "0+")]
        public string? ErrorMessage { get; set; }

        [Field(2)]
        public sbyte ResourceType { get; set; }

        [Field(3)]
        public string ResourceName { get; set; } = "";

        [Field(4)]
        public List<DescribeConfigsResourceResult> Configs { get; set; } = [];
    }

    public sealed class DescribeConfigsResourceResult
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1, NullableVersions = "0+")]
        public string? Value { get; set; }

        [Field(2)]
        public bool ReadOnly { get; set; }

        // Ignorable here (not in the JSON): v1+ carry the same fact in ConfigSource, so handlers may always set it.
        [Field(3, Versions = "0", Ignorable = true)]
        public bool IsDefault { get; set; }

        [Field(4, Versions = "1+", Ignorable = true)]
        public sbyte ConfigSource { get; set; } = -1;

        [Field(5)]
        public bool IsSensitive { get; set; }

        [Field(6, Versions = "1+", Ignorable = true)]
        public List<DescribeConfigsSynonym> Synonyms { get; set; } = [];

        [Field(7, Versions = "3+", Ignorable = true)]
        public sbyte ConfigType { get; set; }

        [Field(8, Versions = "3+", NullableVersions = "0+", Ignorable = true)]
        public string? Documentation { get; set; }
    }

    public sealed class DescribeConfigsSynonym
    {
        [Field(0, Versions = "1+")]
        public string Name { get; set; } = "";

        [Field(1, Versions = "1+", NullableVersions = "0+")]
        public string? Value { get; set; }

        [Field(2, Versions = "1+")]
        public sbyte Source { get; set; }
    }
}
