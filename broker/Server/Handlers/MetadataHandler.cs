using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// Metadata 0–12: the live brokers (this node alone when it is a single-node cluster), the active controller,
/// topics with ids (v10+) and partitions with their leaders, leader epochs, replicas, ISR and offline replicas (see
/// <see cref="PartitionState"/>). Unknown topics are auto-created when auto.create.topics.enable and the client allows
/// it (v4+ flag). A partition whose log failed to load here has no leader here and its replica is listed offline.
/// </summary>
public sealed class MetadataHandler(BrokerServices services) : ApiHandler<MetadataRequest, MetadataResponse>
{
    internal const int AllTopicOperations = 3576;
    internal const int AllClusterOperations = 8096;

    public override ApiKey ApiKey => ApiKey.Metadata;

    public override short MinVersion => 0;

    public override short MaxVersion => 12;

    protected override ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request)
    {
        var version = context.Version;
        var image = services.Metadata.Image;
        var brokers = new List<MetadataResponse.MetadataResponseBroker>();
        foreach (var b in services.LiveBrokers(image))
            brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = b.Id, Host = b.Host, Port = b.Port, Rack = b.Rack });
        var response = new MetadataResponse
        {
            Brokers = brokers,
            ClusterId = services.Metadata.ClusterId,
            ControllerId = services.ClientControllerId(image),
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AllClusterOperations : int.MinValue,
        };
        var all = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (all)
        {
            foreach (var t in image.TopicsByName.Values)
                response.Topics.Add(Describe(image, t, request.IncludeTopicAuthorizedOperations));
            return new(response);
        }
        return Specific(context, request, response);
    }

    private async ValueTask<MetadataResponse?> Specific(RequestContext context, MetadataRequest request, MetadataResponse response)
    {
        var allowCreate = services.Config.AutoCreateTopicsEnable && (context.Version < 4 || request.AllowAutoTopicCreation);
        foreach (var requested in request.Topics!)
        {
            var image = services.Metadata.Image;
            if (requested.Name is null)
            {
                var byId = image.Topic(requested.TopicId);
                response.Topics.Add(byId is not null
                    ? Describe(image, byId, request.IncludeTopicAuthorizedOperations)
                    : new MetadataResponse.MetadataResponseTopic { ErrorCode = (short)ErrorCode.UnknownTopicId, Name = null, TopicId = requested.TopicId });
                continue;
            }
            var topic = image.Topic(requested.Name);
            if (topic is null)
            {
                if (!TopicNames.IsValid(requested.Name))
                {
                    response.Topics.Add(Error(requested.Name, ErrorCode.InvalidTopicException));
                    continue;
                }
                if (allowCreate)
                {
                    var created = await services.Topics.CreateAsync(requested.Name, -1, -1, null, null, validateOnly: false, context.Stopping).ConfigureAwait(false);
                    topic = created.Topic ?? services.Metadata.Image.Topic(requested.Name);
                }
            }
            response.Topics.Add(topic is null
                ? Error(requested.Name, ErrorCode.UnknownTopicOrPartition)
                : Describe(services.Metadata.Image, topic, request.IncludeTopicAuthorizedOperations));
        }
        return response;
    }

    private static MetadataResponse.MetadataResponseTopic Error(string name, ErrorCode error) =>
        new() { ErrorCode = (short)error, Name = name };

    private MetadataResponse.MetadataResponseTopic Describe(MetadataImage image, TopicMetadata topic, bool includeOperations)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = TopicNames.IsInternal(topic.Name),
            TopicAuthorizedOperations = includeOperations ? AllTopicOperations : int.MinValue,
            Partitions = new List<MetadataResponse.MetadataResponsePartition>(topic.Partitions.Length),
        };
        foreach (var p in topic.Partitions)
        {
            var state = PartitionState.Of(services, image, topic.Name, p);
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                // No leader (all replicas fenced, or the leader's log offline here): clients retry, as against Kafka.
                ErrorCode = state.Leader < 0 ? (short)ErrorCode.LeaderNotAvailable : (short)0,
                PartitionIndex = p.Partition,
                LeaderId = state.Leader,
                LeaderEpoch = state.LeaderEpoch,
                ReplicaNodes = [.. state.Replicas],
                IsrNodes = [.. state.Isr],
                OfflineReplicas = [.. state.OfflineReplicas],
            });
        }
        return result;
    }
}
