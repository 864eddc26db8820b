using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.JoinGroup, MessageKind.Request, 0, 9, FlexibleFrom = 6)]
public sealed class JoinGroupRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    [Field(1)]
    public int SessionTimeoutMs { get; set; }

    /// <summary>-1 (v0) means "use SessionTimeoutMs".</summary>
    [Field(2, Versions = "1+", Ignorable = true)]
    public int RebalanceTimeoutMs { get; set; } = -1;

    [Field(3)]
    public string MemberId { get; set; } = "";

    [Field(4, Versions = "5+", NullableVersions = "5+")]
    public string? GroupInstanceId { get; set; }

    [Field(5)]
    public string ProtocolType { get; set; } = "";

    [Field(6)]
    public List<JoinGroupRequestProtocol> Protocols { get; set; } = [];

    [Field(7, Versions = "8+", NullableVersions = "8+", Ignorable = true)]
    public string? Reason { get; set; }

    public sealed class JoinGroupRequestProtocol
    {
        [Field(0)]
        public string Name { get; set; } = "";

        [Field(1)]
        public byte[] Metadata { get; set; } = [];
    }
}

[ApiMessage(ApiKey.JoinGroup, MessageKind.Response, 0, 9, FlexibleFrom = 6)]
public sealed class JoinGroupResponse
{
    [Field(0, Versions = "2+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2)]
    public int GenerationId { get; set; } = -1;

    [Field(3, Versions = "7+", NullableVersions = "7+", Ignorable = true)]
    public string? ProtocolType { get; set; }

    [Field(4, NullableVersions = "7+")]
    public string? ProtocolName { get; set; } = "";

    [Field(5)]
    public string Leader { get; set; } = "";

    [Field(6, Versions = "9+")]
    public bool SkipAssignment { get; set; }

    [Field(7)]
    public string MemberId { get; set; } = "";

    [Field(8)]
    public List<JoinGroupResponseMember> Members { get; set; } = [];

    public sealed class JoinGroupResponseMember
    {
        [Field(0)]
        public string MemberId { get; set; } = "";

        [Field(1, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
        public string? GroupInstanceId { get; set; }

        [Field(2)]
        public byte[] Metadata { get; set; } = [];
    }
}
