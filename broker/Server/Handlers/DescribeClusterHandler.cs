using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>DescribeCluster 0–1: the live brokers and the active controller (broker endpoints only).</summary>
public sealed class DescribeClusterHandler(BrokerServices services) : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeCluster;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request)
    {
        var image = services.Metadata.Image;
        var brokers = new List<DescribeClusterResponse.DescribeClusterBroker>();
        foreach (var b in services.LiveBrokers(image))
            brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = b.Id, Host = b.Host, Port = b.Port, Rack = b.Rack });
        return new(new DescribeClusterResponse
        {
            ClusterId = services.Metadata.ClusterId,
            ControllerId = services.ClientControllerId(image),
            Brokers = brokers,
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? MetadataHandler.AllClusterOperations : int.MinValue,
        });
    }
}
