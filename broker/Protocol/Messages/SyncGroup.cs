using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.SyncGroup, MessageKind.Request, 0, 5, FlexibleFrom = 4)]
public sealed class SyncGroupRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    [Field(1)]
    public int GenerationId { get; set; }

    [Field(2)]
    public string MemberId { get; set; } = "";

    [Field(3, Versions = "3+", NullableVersions = "3+")]
    public string? GroupInstanceId { get; set; }

    [Field(4, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
    public string? ProtocolType { get; set; }

    [Field(5, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
    public string? ProtocolName { get; set; }

    [Field(6)]
    public List<SyncGroupRequestAssignment> Assignments { get; set; } = [];

    public sealed class SyncGroupRequestAssignment
    {
        [Field(0)]
        public string MemberId { get; set; } = "";

        [Field(1)]
        public byte[] Assignment { get; set; } = [];
    }
}

[ApiMessage(ApiKey.SyncGroup, MessageKind.Response, 0, 5, FlexibleFrom = 4)]
public sealed class SyncGroupResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
    public string? ProtocolType { get; set; }

    [Field(3, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
    public string? ProtocolName { get; set; }

    [Field(4)]
    public byte[] Assignment { get; set; } = [];
}
