using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// CreateTopics 0–7: validateOnly, -1 for default partitions/replication factor, manual assignments, configs;
/// v5+ returns the partitions, replication factor and every config with its source; v7+ the topic id.
/// </summary>
public sealed class CreateTopicsHandler(BrokerServices services) : ApiHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    public override ApiKey ApiKey => ApiKey.CreateTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 7;

    protected override async ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request)
    {
        var response = new CreateTopicsResponse();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in request.Topics)
            counts[t.Name] = counts.GetValueOrDefault(t.Name) + 1;
        // Every topic's creation is started before any is awaited, so their metadata records share commits.
        var outcomes = new List<Task<TopicResult>?>(request.Topics.Count);
        foreach (var t in request.Topics)
            outcomes.Add(counts[t.Name] > 1 ? null : CreateAsync(context, request, t));
        await Task.WhenAll(outcomes.OfType<Task<TopicResult>>()).ConfigureAwait(false);
        for (var i = 0; i < request.Topics.Count; i++)
        {
            var t = request.Topics[i];
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = t.Name };
            response.Topics.Add(result);
            if (outcomes[i] is not { } pending)
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequest;
                result.ErrorMessage = $"Create topics request from client `{context.ClientId}` contains multiple entries for the following topics: {t.Name}";
                continue;
            }
            var outcome = await pending.ConfigureAwait(false);
            result.ErrorCode = (short)outcome.Error;
            result.ErrorMessage = outcome.Message;
            if (outcome.Topic is not { } topic)
            {
                result.Configs = context.Version >= 5 ? null : [];
                continue;
            }
            result.TopicId = topic.TopicId;
            result.NumPartitions = topic.Partitions.Length;
            result.ReplicationFactor = (short)topic.Partitions[0].Replicas.Length;
            var effective = TopicConfig.Create(services.Config, topic.Configs);
            foreach (var key in TopicConfigDefs.All)
            {
                var resolved = effective.Resolve(key.Name);
                result.Configs!.Add(new CreateTopicsResponse.CreatableTopicConfigs
                {
                    Name = key.Name,
                    Value = effective.Value(key.Name),
                    ReadOnly = false,
                    ConfigSource = (sbyte)resolved.Source,
                    IsSensitive = false,
                });
            }
        }
        return response;
    }

    private Task<TopicResult> CreateAsync(RequestContext context, CreateTopicsRequest request, CreateTopicsRequest.CreatableTopic t)
    {
        Dictionary<string, int[]>? assignments = null;
        if (t.Assignments.Count > 0)
        {
            assignments = [];
            foreach (var a in t.Assignments)
                assignments[a.PartitionIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)] = [.. a.BrokerIds];
        }
        var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var c in t.Configs)
            configs[c.Name] = c.Value;
        return services.Topics.CreateAsync(t.Name, t.NumPartitions, t.ReplicationFactor, assignments, configs, request.ValidateOnly, context.Stopping);
    }
}
