using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>ListGroups 0–5: the groups this node coordinates; state filter from v4, type filter from v5.</summary>
public sealed class ListGroupsHandler(BrokerServices services) : ApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request)
    {
        var version = context.Version;
        var groups = services.Groups.Coordinator.ListGroups(
            version >= 4 ? request.StatesFilter : null,
            version >= 5 ? request.TypesFilter : null);
        var response = new ListGroupsResponse
        {
            Groups = [.. groups.Select(g => new ListGroupsResponse.ListedGroup
            {
                GroupId = g.GroupId,
                ProtocolType = g.ProtocolType,
                GroupState = g.State.ToString(),
                GroupType = g.GroupType,
            })],
        };
        return ValueTask.FromResult<ListGroupsResponse?>(response);
    }
}
