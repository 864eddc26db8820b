using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

/// <summary>v0-v2 name one member in <see cref="MemberId"/>; v3+ list members (batch leave).</summary>
[ApiMessage(ApiKey.LeaveGroup, MessageKind.Request, 0, 5, FlexibleFrom = 4)]
public sealed class LeaveGroupRequest
{
    [Field(0)]
    public string GroupId { get; set; } = "";

    [Field(1, Versions = "0-2")]
    public string MemberId { get; set; } = "";

    [Field(2, Versions = "3+")]
    public List<MemberIdentity> Members { get; set; } = [];

    public sealed class MemberIdentity
    {
        [Field(0, Versions = "3+")]
        public string MemberId { get; set; } = "";

        [Field(1, Versions = "3+", NullableVersions = "3+")]
        public string? GroupInstanceId { get; set; }

        [Field(2, Versions = "5+", NullableVersions = "5+", Ignorable = true)]
        public string? Reason { get; set; }
    }
}

[ApiMessage(ApiKey.LeaveGroup, MessageKind.Response, 0, 5, FlexibleFrom = 4)]
public sealed class LeaveGroupResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2, Versions = "3+")]
    public List<MemberResponse> Members { get; set; } = [];

    public sealed class MemberResponse
    {
        [Field(0, Versions = "3+")]
        public string MemberId { get; set; } = "";

        [Field(1, Versions = "3+", NullableVersions = "3+")]
        public string? GroupInstanceId { get; set; }

        [Field(2, Versions = "3+")]
        public short ErrorCode { get; set; }
    }
}
