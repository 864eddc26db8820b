using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>Heartbeat 0–4: keeps the member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.</summary>
public sealed class HeartbeatHandler(BrokerServices services) : ApiHandler<HeartbeatRequest, HeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.Heartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request)
    {
        var error = services.Groups.Coordinator.Heartbeat(request.GroupId, request.GenerationId, request.MemberId,
            context.Version >= 3 ? request.GroupInstanceId : null);
        return ValueTask.FromResult<HeartbeatResponse?>(new HeartbeatResponse { ErrorCode = (short)error });
    }
}
