using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>JoinGroup 0–9: answered when the rebalance completes (v4+ first hands out a member id: MEMBER_ID_REQUIRED).</summary>
public sealed class JoinGroupHandler(BrokerServices services) : ApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.JoinGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request)
    {
        var version = context.Version;
        var join = new JoinGroupParams(
            request.GroupId,
            request.MemberId,
            version >= 5 ? request.GroupInstanceId : null,
            context.ClientId ?? "",
            GroupCoordinatorHost.ClientHost(context.Remote),
            request.SessionTimeoutMs,
            version >= 1 && request.RebalanceTimeoutMs >= 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs,
            request.ProtocolType,
            [.. request.Protocols.Select(p => new GroupProtocol(p.Name, p.Metadata))],
            RequireKnownMemberId: version >= 4);
        var result = await services.Groups.Coordinator.JoinGroupAsync(join).ConfigureAwait(false);
        var ok = result.Error == ErrorCode.None;
        return new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = ok ? result.ProtocolType : null,
            // v7+ report an unknown protocol as null; older versions cannot encode null.
            ProtocolName = ok ? result.ProtocolName : version >= 7 ? null : "",
            Leader = result.LeaderId,
            SkipAssignment = result.SkipAssignment && version >= 9,
            MemberId = result.MemberId,
            Members = [.. result.MemberList.Select(m => new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                Metadata = m.Metadata,
            })],
        };
    }
}
