using KafkaOperator.Groups;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers.Groups;

/// <summary>
/// FindCoordinator 0–4 (v4 batches keys). A group's coordinator is the leader of its __consumer_offsets partition
/// (abs(Java hashCode) % partitions), so it follows that leader. Transaction coordinators do not exist here.
/// </summary>
public sealed class FindCoordinatorHandler(BrokerServices services) : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request)
    {
        var keys = context.Version >= 4 ? request.CoordinatorKeys : [request.Key];
        var response = new FindCoordinatorResponse();
        foreach (var key in keys)
        {
            var found = await FindAsync(request.KeyType, key, context.Stopping).ConfigureAwait(false);
            found.Key = key;
            response.Coordinators.Add(found);
        }
        if (context.Version < 4)
        {
            var single = response.Coordinators[0];
            response.Coordinators = [];
            response.ErrorCode = single.ErrorCode;
            response.ErrorMessage = single.ErrorMessage;
            response.NodeId = single.NodeId;
            response.Host = single.Host;
            response.Port = single.Port;
        }
        return response;
    }

    private async ValueTask<FindCoordinatorResponse.Coordinator> FindAsync(sbyte keyType, string key, CancellationToken cancellationToken)
    {
        if (keyType == TransactionKeyType)
            return Fail(ErrorCode.CoordinatorNotAvailable, "This broker has no transaction coordinator.");
        if (keyType != GroupKeyType)
            return Fail(ErrorCode.InvalidRequest, $"Unsupported coordinator key type {keyType}.");
        if (string.IsNullOrEmpty(key))
            return Fail(ErrorCode.InvalidRequest, "The group id must not be empty.");
        var host = services.Groups;
        if (!await host.EnsureReadyAsync(cancellationToken).ConfigureAwait(false))
            return Fail(ErrorCode.CoordinatorNotAvailable, "The coordinator is not available.");
        var partition = host.Coordinator.PartitionFor(key);
        var meta = services.Metadata.Image.Topic(OffsetsPartitioner.OffsetsTopic);
        var leader = meta is not null && partition < meta.Partitions.Length ? meta.Partitions[partition].Leader : -1;
        if (leader == services.Config.NodeId && !host.Coordinator.IsLoaded(partition))
            return Fail(ErrorCode.CoordinatorNotAvailable, "The coordinator is loading.");
        // The coordinator is whichever broker leads the group's __consumer_offsets partition.
        if (leader < 0 || services.FindBroker(services.Metadata.Image, leader) is not { } broker)
            return Fail(ErrorCode.CoordinatorNotAvailable, "The coordinator is not available.");
        return new FindCoordinatorResponse.Coordinator { NodeId = broker.Id, Host = broker.Host, Port = broker.Port };
    }

    private static FindCoordinatorResponse.Coordinator Fail(ErrorCode error, string message) =>
        new() { ErrorCode = (short)error, ErrorMessage = message, NodeId = -1, Host = "", Port = -1 };
}
