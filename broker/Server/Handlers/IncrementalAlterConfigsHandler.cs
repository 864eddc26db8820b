using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// IncrementalAlterConfigs 0–1: SET, DELETE, APPEND and SUBTRACT (list configs only) on topic or broker
/// overrides; the result is validated as a whole (INVALID_CONFIG) and applied to the live logs. Broker resources
/// also take names the broker does not define (SET and DELETE), as Kafka does.
/// </summary>
public sealed class IncrementalAlterConfigsHandler(BrokerServices services) : ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    public override ApiKey ApiKey => ApiKey.IncrementalAlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request)
    {
        var response = new IncrementalAlterConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Responses.Add(result);
            var type = (ConfigResourceType)resource.ResourceType;
            var (error, message) = await services.Configs.AlterAsync(type, resource.ResourceName, request.ValidateOnly,
                (current, find) => Apply(current, find, resource, type), context.Stopping).ConfigureAwait(false);
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
        }
        return response;
    }

    private (ErrorCode, string?) Apply(Dictionary<string, string> current, Func<string, ConfigKey?> find, IncrementalAlterConfigsRequest.AlterConfigsResource resource, ConfigResourceType type)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in resource.Configs)
        {
            if (!seen.Add(c.Name))
                return (ErrorCode.InvalidRequest, $"Error due to duplicate config keys: {c.Name}");
            // Brokers keep names they do not know (Kafka does, for plugins); topics refuse them.
            var key = find(c.Name);
            if (key is null && type != ConfigResourceType.Broker)
                return (ErrorCode.InvalidConfig, $"Unknown topic config name: {c.Name}");
            switch (c.ConfigOperation)
            {
                case Set:
                    if (c.Value is null)
                        return (ErrorCode.InvalidRequest, $"Null value not supported for : {c.Name}");
                    current[c.Name] = c.Value;
                    break;
                case Delete:
                    current.Remove(c.Name);
                    break;
                case Append:
                case Subtract:
                    // Kafka's wording, for broker resources too: without a definition there is no list to edit.
                    if (key is null)
                        return (ErrorCode.InvalidConfig, $"Unknown topic config name: {c.Name}");
                    if (key.Type != ConfigType.List)
                        return (ErrorCode.InvalidConfig, $"Config value append is not allowed for config key: {c.Name}");
                    var list = new List<string>(ConfigKey.SplitList(current.TryGetValue(c.Name, out var existing) ? existing : CurrentValue(c.Name, type)));
                    foreach (var item in ConfigKey.SplitList(c.Value))
                    {
                        if (c.ConfigOperation == Append)
                        {
                            if (!list.Contains(item))
                                list.Add(item);
                        }
                        else
                        {
                            list.Remove(item);
                        }
                    }
                    current[c.Name] = string.Join(',', list);
                    break;
                default:
                    return (ErrorCode.InvalidRequest, $"Unknown config operation {c.ConfigOperation} for {c.Name}");
            }
        }
        return (ErrorCode.None, null);
    }

    /// <summary>The value APPEND/SUBTRACT starts from when there is no override: the inherited one.</summary>
    private string? CurrentValue(string name, ConfigResourceType type) =>
        type == ConfigResourceType.Topic ? TopicConfig.Create(services.Config, null).Value(name) : services.Config.Get(name);
}
