using System.Net;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>JoinGroup 0–9 (classic protocol): waits until the rebalance completes; v4+ first asks for a member id.</summary>
public sealed class JoinGroupHandler(BrokerServices services) : ApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.JoinGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request)
    {
        var protocols = new List<(string, byte[])>(request.Protocols.Count);
        foreach (var p in request.Protocols)
            protocols.Add((p.Name, p.Metadata));
        var host = context.Remote is IPEndPoint ip ? "/" + ip.Address : "";
        var result = await services.Groups.JoinAsync(request.GroupId, request.MemberId, request.GroupInstanceId, context.ClientId ?? "", host,
            request.SessionTimeoutMs, context.Version >= 1 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs, request.ProtocolType, protocols,
            requireKnownMemberId: context.Version >= 4).ConfigureAwait(false);
        var response = new JoinGroupResponse
        {
            ErrorCode = result.ErrorCode,
            GenerationId = result.GenerationId,
            ProtocolType = context.Version >= 7 && result.ErrorCode == 0 ? request.ProtocolType : null,
            ProtocolName = result.ProtocolName ?? (context.Version >= 7 ? null : ""),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
        };
        foreach (var (memberId, instanceId, metadata) in result.Members)
            response.Members.Add(new JoinGroupResponse.JoinGroupResponseMember { MemberId = memberId, GroupInstanceId = instanceId, Metadata = metadata });
        return response;
    }
}
