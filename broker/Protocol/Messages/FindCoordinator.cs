using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.FindCoordinator, MessageKind.Request, 0, 4, FlexibleFrom = 3)]
public sealed class FindCoordinatorRequest
{
    [Field(0, Versions = "0-3")]
    public string Key { get; set; } = "";

    /// <summary>0 = group, 1 = transaction.</summary>
    [Field(1, Versions = "1+")]
    public sbyte KeyType { get; set; }

    [Field(2, Versions = "4+")]
    public List<string> CoordinatorKeys { get; set; } = [];
}

/// <summary>v0-v3 answer one key at the top level; v4+ answer every key in <see cref="Coordinators"/>.</summary>
[ApiMessage(ApiKey.FindCoordinator, MessageKind.Response, 0, 4, FlexibleFrom = 3)]
public sealed class FindCoordinatorResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1, Versions = "0-3")]
    public short ErrorCode { get; set; }

    [Field(2, Versions = "1-3", NullableVersions = "1-3", Ignorable = true)]
    public string? ErrorMessage { get; set; }

    [Field(3, Versions = "0-3")]
    public int NodeId { get; set; }

    [Field(4, Versions = "0-3")]
    public string Host { get; set; } = "";

    [Field(5, Versions = "0-3")]
    public int Port { get; set; }

    [Field(6, Versions = "4+")]
    public List<Coordinator> Coordinators { get; set; } = [];

    public sealed class Coordinator
    {
        [Field(0, Versions = "4+")]
        public string Key { get; set; } = "";

        [Field(1, Versions = "4+")]
        public int NodeId { get; set; }

        [Field(2, Versions = "4+")]
        public string Host { get; set; } = "";

        [Field(3, Versions = "4+")]
        public int Port { get; set; }

        [Field(4, Versions = "4+")]
        public short ErrorCode { get; set; }

        [Field(5, Versions = "4+", NullableVersions = "4+", Ignorable = true)]
        public string? ErrorMessage { get; set; }
    }
}
