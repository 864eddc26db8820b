using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>LeaveGroup 0–5: one member in v0–v2, a batch (by member id or group.instance.id) from v3.</summary>
public sealed class LeaveGroupHandler(BrokerServices services) : ApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.LeaveGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request)
    {
        var batched = context.Version >= 3;
        List<LeavingMember> members = batched
            ? [.. request.Members.Select(m => new LeavingMember(m.MemberId, m.GroupInstanceId))]
            : [new LeavingMember(request.MemberId, null)];
        var result = services.Groups.Coordinator.LeaveGroup(request.GroupId, members);
        var response = new LeaveGroupResponse { ErrorCode = (short)result.Error };
        if (batched)
        {
            for (var i = 0; i < result.MemberErrors.Count; i++)
            {
                response.Members.Add(new LeaveGroupResponse.MemberResponse
                {
                    MemberId = members[i].MemberId,
                    GroupInstanceId = members[i].GroupInstanceId,
                    ErrorCode = (short)result.MemberErrors[i],
                });
            }
        }
        else if (result.Error == ErrorCode.None && result.MemberErrors.Count > 0)
        {
            response.ErrorCode = (short)result.MemberErrors[0];
        }
        return ValueTask.FromResult<LeaveGroupResponse?>(response);
    }
}
