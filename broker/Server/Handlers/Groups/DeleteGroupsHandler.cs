using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>DeleteGroups 0–2: only empty groups (NON_EMPTY_GROUP otherwise); offsets go with them.</summary>
public sealed class DeleteGroupsHandler(BrokerServices services) : ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request)
    {
        var response = new DeleteGroupsResponse
        {
            Results = [.. request.GroupsNames.Select(g => new DeleteGroupsResponse.DeletableGroupResult
            {
                GroupId = g,
                ErrorCode = (short)services.Groups.Coordinator.DeleteGroup(g),
            })],
        };
        return ValueTask.FromResult<DeleteGroupsResponse?>(response);
    }
}
