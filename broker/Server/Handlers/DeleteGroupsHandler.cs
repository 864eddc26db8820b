using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>DeleteGroups 0–2: empty groups only (NON_EMPTY_GROUP otherwise); removes their offsets.</summary>
public sealed class DeleteGroupsHandler(BrokerServices services) : ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request)
    {
        var response = new DeleteGroupsResponse();
        foreach (var id in request.GroupsNames)
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = id, ErrorCode = (short)services.Groups.Delete(id) });
        return new(response);
    }
}
