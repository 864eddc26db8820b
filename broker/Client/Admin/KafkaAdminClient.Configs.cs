using System.Globalization;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    /// <summary>
    /// Configs of topics and brokers with their sources. A broker's own configs are answered by that broker, so
    /// broker resources are sent to it; everything else goes to any broker.
    /// </summary>
    public async Task<IReadOnlyList<ConfigResourceResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources,
        bool includeSynonyms = false, CancellationToken cancellationToken = default)
    {
        var list = resources.ToList();
        var results = new Dictionary<ConfigResource, ConfigResourceResult>();
        foreach (var group in list.GroupBy(BrokerFor))
        {
            var request = new DescribeConfigsRequest
            {
                IncludeSynonyms = includeSynonyms,
                Resources = group.Select(r => new DescribeConfigsRequest.DescribeConfigsResource
                {
                    ResourceType = (sbyte)r.Type,
                    ResourceName = r.Name,
                    ConfigurationKeys = null,
                }).ToList(),
            };
            var response = await SendToBrokerAsync<DescribeConfigsRequest, DescribeConfigsResponse>(group.Key, request,
                cancellationToken).ConfigureAwait(false);
            foreach (var result in response.Results)
            {
                var resource = new ConfigResource((ConfigResourceType)result.ResourceType, result.ResourceName);
                var entries = result.Configs.Select(c => new ConfigEntry(c.Name, c.Value, (ConfigSource)c.ConfigSource,
                    c.ReadOnly, c.IsSensitive, c.IsDefault || c.ConfigSource == (sbyte)ConfigSource.DefaultConfig,
                    c.Synonyms.Select(s => new ConfigSynonym(s.Name, s.Value, (ConfigSource)s.Source)).ToList())).ToList();
                results[resource] = new ConfigResourceResult(resource, entries, Error(result.ErrorCode, result.ErrorMessage));
            }
        }

        return list.Select(r => results.TryGetValue(r, out var result)
            ? result
            : new ConfigResourceResult(r, [], new KafkaException(Protocol.ErrorCode.UnknownServerError,
                $"The broker's response has no result for {r.Type} '{r.Name}'."))).ToList();
    }

    public async Task<ConfigResourceResult> DescribeTopicConfigsAsync(string topic, CancellationToken cancellationToken = default) =>
        (await DescribeConfigsAsync([ConfigResource.Topic(topic)], cancellationToken: cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Sets, deletes, appends to or subtracts from individual config values, leaving others untouched.</summary>
    public async Task<IReadOnlyList<ResourceResult>> IncrementalAlterConfigsAsync(
        IReadOnlyDictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> alterations, bool validateOnly = false,
        CancellationToken cancellationToken = default)
    {
        var results = new Dictionary<ConfigResource, ResourceResult>();
        foreach (var group in alterations.GroupBy(kv => BrokerFor(kv.Key)))
        {
            var request = new IncrementalAlterConfigsRequest
            {
                ValidateOnly = validateOnly,
                Resources = group.Select(kv => new IncrementalAlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = (sbyte)kv.Key.Type,
                    ResourceName = kv.Key.Name,
                    Configs = kv.Value.Select(a => new IncrementalAlterConfigsRequest.AlterableConfig
                    {
                        Name = a.Name,
                        ConfigOperation = (sbyte)a.Op,
                        Value = a.Value,
                    }).ToList(),
                }).ToList(),
            };
            var response = await SendToBrokerAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(
                group.Key, request, cancellationToken).ConfigureAwait(false);
            foreach (var r in response.Responses)
            {
                var resource = new ConfigResource((ConfigResourceType)r.ResourceType, r.ResourceName);
                results[resource] = new ResourceResult(resource, Error(r.ErrorCode, r.ErrorMessage));
            }
        }

        return Ordered(alterations.Keys, results);
    }

    /// <summary>Replaces the whole dynamic config of each resource (configs not listed revert to defaults).</summary>
    public async Task<IReadOnlyList<ResourceResult>> AlterConfigsAsync(
        IReadOnlyDictionary<ConfigResource, IReadOnlyDictionary<string, string?>> configs, bool validateOnly = false,
        CancellationToken cancellationToken = default)
    {
        var results = new Dictionary<ConfigResource, ResourceResult>();
        foreach (var group in configs.GroupBy(kv => BrokerFor(kv.Key)))
        {
            var request = new AlterConfigsRequest
            {
                ValidateOnly = validateOnly,
                Resources = group.Select(kv => new AlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = (sbyte)kv.Key.Type,
                    ResourceName = kv.Key.Name,
                    Configs = kv.Value.Select(c => new AlterConfigsRequest.AlterableConfig { Name = c.Key, Value = c.Value }).ToList(),
                }).ToList(),
            };
            var response = await SendToBrokerAsync<AlterConfigsRequest, AlterConfigsResponse>(group.Key, request,
                cancellationToken).ConfigureAwait(false);
            foreach (var r in response.Responses)
            {
                var resource = new ConfigResource((ConfigResourceType)r.ResourceType, r.ResourceName);
                results[resource] = new ResourceResult(resource, Error(r.ErrorCode, r.ErrorMessage));
            }
        }

        return Ordered(configs.Keys, results);
    }

    private static IReadOnlyList<ResourceResult> Ordered(IEnumerable<ConfigResource> keys, Dictionary<ConfigResource, ResourceResult> results) =>
        keys.Select(k => results.TryGetValue(k, out var r)
            ? r
            : new ResourceResult(k, new KafkaException(Protocol.ErrorCode.UnknownServerError,
                $"The broker's response has no result for {k.Type} '{k.Name}'."))).ToList();

    /// <summary>Broker id that must answer for a resource; -1 for any broker.</summary>
    private static int BrokerFor(ConfigResource resource) =>
        resource.Type is ConfigResourceType.Broker or ConfigResourceType.BrokerLogger
        && int.TryParse(resource.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? id
            : -1;

    private Task<TResponse> SendToBrokerAsync<TRequest, TResponse>(int brokerId, TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TResponse : class
        => brokerId < 0
            ? Cluster.SendToAnyAsync<TRequest, TResponse>(request, cancellationToken: cancellationToken)
            : Cluster.ExecuteAsync(async ct =>
            {
                var connection = await Cluster.GetConnectionAsync(brokerId, ct).ConfigureAwait(false);
                return await connection.SendAsync<TRequest, TResponse>(request, (ApiVersionRange?)null, ct).ConfigureAwait(false);
            }, refreshTopics: [], cancellationToken);
}
