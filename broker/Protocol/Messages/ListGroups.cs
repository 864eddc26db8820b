using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Messages;

[ApiMessage(ApiKey.ListGroups, MessageKind.Request, 0, 5, FlexibleFrom = 3)]
public sealed class ListGroupsRequest
{
    [Field(0, Versions = "4+", Ignorable = true)]
    public List<string> StatesFilter { get; set; } = [];

    [Field(1, Versions = "5+", Ignorable = true)]
    public List<string> TypesFilter { get; set; } = [];
}

[ApiMessage(ApiKey.ListGroups, MessageKind.Response, 0, 5, FlexibleFrom = 3)]
public sealed class ListGroupsResponse
{
    [Field(0, Versions = "1+", Ignorable = true)]
    public int ThrottleTimeMs { get; set; }

    [Field(1)]
    public short ErrorCode { get; set; }

    [Field(2)]
    public List<ListedGroup> Groups { get; set; } = [];

    public sealed class ListedGroup
    {
        [Field(0)]
        public string GroupId { get; set; } = "";

        [Field(1)]
        public string ProtocolType { get; set; } = "";

        [Field(2, Versions = "4+", Ignorable = true)]
        public string GroupState { get; set; } = "";

        [Field(3, Versions = "5+", Ignorable = true)]
        public string GroupType { get; set; } = "";
    }
}
