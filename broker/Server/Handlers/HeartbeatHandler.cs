using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>Heartbeat 0–4: keeps the session alive and tells members when to rejoin.</summary>
public sealed class HeartbeatHandler(BrokerServices services) : ApiHandler<HeartbeatRequest, HeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.Heartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request) =>
        new(new HeartbeatResponse { ErrorCode = (short)services.Groups.Heartbeat(request.GroupId, request.GenerationId, request.MemberId) });
}
