using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>AlterConfigs 0–2: replaces a resource's whole override set (legacy, non-incremental).</summary>
public sealed class AlterConfigsHandler(BrokerServices services) : ApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request)
    {
        var response = new AlterConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new AlterConfigsResponse.AlterConfigsResourceResponse { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Responses.Add(result);
            var type = (ConfigResourceType)resource.ResourceType;
            var (error, message) = await services.Configs.AlterAsync(type, resource.ResourceName, request.ValidateOnly, (current, find) =>
            {
                current.Clear();
                foreach (var c in resource.Configs)
                {
                    // Brokers keep names they do not know (Kafka does, for plugins); topics refuse them.
                    if (find(c.Name) is null && type != ConfigResourceType.Broker)
                        return (ErrorCode.InvalidConfig, $"Unknown topic config name: {c.Name}");
                    if (c.Value is null)
                        return (ErrorCode.InvalidRequest, $"Null value not supported for : {c.Name}");
                    if (!current.TryAdd(c.Name, c.Value))
                        return (ErrorCode.InvalidRequest, $"Error due to duplicate config keys: {c.Name}");
                }
                return (ErrorCode.None, null);
            }, context.Stopping).ConfigureAwait(false);
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
        }
        return response;
    }
}
