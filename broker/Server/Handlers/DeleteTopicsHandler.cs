using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>DeleteTopics 0–6: by name, and by topic id from v6.</summary>
public sealed class DeleteTopicsHandler(BrokerServices services) : ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request)
    {
        var response = new DeleteTopicsResponse();
        var targets = new List<(string? Name, Guid Id)>();
        if (context.Version >= 6)
        {
            foreach (var t in request.Topics)
                targets.Add((t.Name, t.TopicId));
        }
        else
        {
            foreach (var name in request.TopicNames)
                targets.Add((name, Guid.Empty));
        }
        foreach (var (name, id) in targets)
        {
            var result = new DeleteTopicsResponse.DeletableTopicResult { Name = name, TopicId = id };
            response.Responses.Add(result);
            var image = services.Metadata.Image;
            TopicMetadata? topic;
            if (name is null)
            {
                topic = image.Topic(id);
                if (topic is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicId;
                    result.ErrorMessage = "This server does not host this topic ID.";
                    continue;
                }
            }
            else
            {
                topic = image.Topic(name);
                if (topic is null || (id != Guid.Empty && topic.TopicId != id))
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = "This server does not host this topic-partition.";
                    continue;
                }
            }
            result.Name = topic.Name;
            result.TopicId = topic.TopicId;
            var outcome = await services.Topics.DeleteAsync(topic, context.Stopping).ConfigureAwait(false);
            result.ErrorCode = (short)outcome.Error;
            result.ErrorMessage = outcome.Message;
        }
        return response;
    }
}
