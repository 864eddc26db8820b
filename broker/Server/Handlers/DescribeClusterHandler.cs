using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>DescribeCluster 0–1: this node is the whole cluster and its controller (broker endpoints only).</summary>
public sealed class DescribeClusterHandler(BrokerServices services) : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeCluster;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request)
    {
        var listener = services.AdvertisedListener;
        return new(new DescribeClusterResponse
        {
            ClusterId = services.Metadata.ClusterId,
            ControllerId = services.Config.NodeId,
            Brokers = [new DescribeClusterResponse.DescribeClusterBroker { BrokerId = services.Config.NodeId, Host = listener.Host, Port = listener.Port }],
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? MetadataHandler.AllClusterOperations : int.MinValue,
        });
    }
}
