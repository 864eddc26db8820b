using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>LeaveGroup 0–5: one member (v0–2) or a batch of members (v3+).</summary>
public sealed class LeaveGroupHandler(BrokerServices services) : ApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.LeaveGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request)
    {
        var response = new LeaveGroupResponse();
        if (context.Version < 3)
        {
            response.ErrorCode = (short)services.Groups.Leave(request.GroupId, request.MemberId);
            return new(response);
        }
        foreach (var m in request.Members)
        {
            var error = services.Groups.Leave(request.GroupId, m.MemberId);
            response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ErrorCode = (short)error });
        }
        return new(response);
    }
}
