using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.Heartbeat, MessageKind.Request, 0, 4, FlexibleFrom = 4)]
public sealed class HeartbeatRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    [Field(1)]
    public int GenerationId { get; set; }

    [Field(2)]
    public string MemberId { get; set; } = "";

    [Field(3, Versions = "3+", NullableVersions = "3+")]
    public string? GroupInstanceId { get; set; }
}

[ApiMessage(ApiKey.Heartbeat, MessageKind.Response, 0, 4, FlexibleFrom = 4)]
public sealed class HeartbeatResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }
}
