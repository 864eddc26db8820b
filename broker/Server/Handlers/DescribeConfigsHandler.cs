using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Handlers;

/// <summary>DescribeConfigs 0–4 for topics and this broker: values, sources, synonyms (v1+), types (v3+).</summary>
public sealed class DescribeConfigsHandler(BrokerServices services) : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            var keys = resource.ConfigurationKeys is { Count: > 0 } k ? k : null;
            var (error, message, entries) = services.Configs.Describe((ConfigResourceType)resource.ResourceType, resource.ResourceName, keys);
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
            if (entries is null)
                continue;
            foreach (var e in entries)
            {
                var entry = new DescribeConfigsResponse.DescribeConfigsResourceResult
                {
                    Name = e.Name,
                    Value = e.Value,
                    ReadOnly = e.ReadOnly,
                    IsDefault = e.Source == ConfigSource.DefaultConfig,
                    ConfigSource = (sbyte)e.Source,
                    IsSensitive = e.Sensitive,
                    ConfigType = TypeCode(e.Type),
                };
                if (request.IncludeSynonyms)
                {
                    foreach (var s in e.Synonyms)
                        entry.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym { Name = s.Name, Value = e.Sensitive ? null : s.Value, Source = (sbyte)s.Source });
                }
                result.Configs.Add(entry);
            }
        }
        return new(response);
    }

    private static sbyte TypeCode(ConfigType type) => type switch
    {
        ConfigType.Boolean => 1,
        ConfigType.String => 2,
        ConfigType.Int => 3,
        ConfigType.Short => 4,
        ConfigType.Long => 5,
        ConfigType.Double => 6,
        ConfigType.List => 7,
        ConfigType.Class => 8,
        ConfigType.Password => 9,
        _ => 0,
    };
}
