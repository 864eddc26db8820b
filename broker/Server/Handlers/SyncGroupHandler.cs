using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>SyncGroup 0–5: the leader hands out assignments; followers wait for theirs.</summary>
public sealed class SyncGroupHandler(BrokerServices services) : ApiHandler<SyncGroupRequest, SyncGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.SyncGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request)
    {
        var assignments = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var a in request.Assignments)
            assignments[a.MemberId] = a.Assignment;
        var result = await services.Groups.SyncAsync(request.GroupId, request.GenerationId, request.MemberId, assignments).ConfigureAwait(false);
        return new SyncGroupResponse
        {
            ErrorCode = result.ErrorCode,
            Assignment = result.Assignment,
            ProtocolType = context.Version >= 5 ? request.ProtocolType : null,
            ProtocolName = context.Version >= 5 ? request.ProtocolName : null,
        };
    }
}
