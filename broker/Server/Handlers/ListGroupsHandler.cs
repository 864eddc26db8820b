using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>ListGroups 0–5: live groups and groups that only have committed offsets.</summary>
public sealed class ListGroupsHandler(BrokerServices services) : ApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request)
    {
        var response = new ListGroupsResponse();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in services.Groups.Snapshot())
        {
            seen.Add(g.GroupId);
            Add(response, request, context.Version, g.GroupId, g.ProtocolType ?? "", g.StateName);
        }
        foreach (var id in services.Groups.GroupsWithOffsets())
        {
            if (seen.Add(id))
                Add(response, request, context.Version, id, "", "Empty");
        }
        return new(response);
    }

    private static void Add(ListGroupsResponse response, ListGroupsRequest request, short version, string id, string protocolType, string state)
    {
        if (version >= 4 && request.StatesFilter.Count > 0 && !request.StatesFilter.Contains(state, StringComparer.OrdinalIgnoreCase))
            return;
        if (version >= 5 && request.TypesFilter.Count > 0 && !request.TypesFilter.Contains("classic", StringComparer.OrdinalIgnoreCase))
            return;
        response.Groups.Add(new ListGroupsResponse.ListedGroup
        {
            GroupId = id,
            ProtocolType = protocolType,
            GroupState = version >= 4 ? state : "",
            GroupType = version >= 5 ? "classic" : "",
        });
    }
}
