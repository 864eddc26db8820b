using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>FindCoordinator 0–4: this node coordinates every group; transactions have no coordinator here.</summary>
public sealed class FindCoordinatorHandler(BrokerServices services) : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKey = 0;

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request)
    {
        var listener = services.AdvertisedListener;
        var node = services.Config.NodeId;
        var response = new FindCoordinatorResponse();
        if (context.Version < 4)
        {
            if (request.KeyType != GroupKey)
            {
                response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
                response.ErrorMessage = "Transactions are not supported by this broker.";
                response.NodeId = -1;
                response.Host = "";
                response.Port = -1;
            }
            else
            {
                response.NodeId = node;
                response.Host = listener.Host;
                response.Port = listener.Port;
            }
            return new(response);
        }
        foreach (var key in request.CoordinatorKeys)
        {
            response.Coordinators.Add(request.KeyType == GroupKey
                ? new FindCoordinatorResponse.Coordinator { Key = key, NodeId = node, Host = listener.Host, Port = listener.Port }
                : new FindCoordinatorResponse.Coordinator { Key = key, NodeId = -1, Host = "", Port = -1, ErrorCode = (short)ErrorCode.CoordinatorNotAvailable, ErrorMessage = "Transactions are not supported by this broker." });
        }
        return new(response);
    }
}
