using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// DescribeTopicPartitions 0 (KIP-966): the requested topics (every topic when none are named) in name order, each
/// partition with its leader, leader epoch, replicas, ISR and offline replicas as Metadata reports them
/// (<see cref="PartitionState"/>). At most min(ResponsePartitionLimit, max.request.partition.size.limit)
/// partitions are returned; NextCursor then names the first one left out, and a request with that cursor resumes
/// there. Unknown topics (named ones only) answer UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for a name
/// no topic can have. Eligible leader replicas are empty: this broker does not keep ELR (KIP-966's unclean
/// recovery) in its metadata.
/// </summary>
public sealed class DescribeTopicPartitionsHandler(BrokerServices services) : ApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeTopicPartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<DescribeTopicPartitionsResponse?> HandleAsync(RequestContext context, DescribeTopicPartitionsRequest request)
    {
        var image = services.Metadata.Image;
        var fetchAll = request.Topics.Count == 0;
        var cursor = request.Cursor;
        var cursorTopic = cursor?.TopicName ?? "";
        // Java's String.compareTo, which Kafka sorts and compares the cursor with, is ordinal over UTF-16 units.
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in fetchAll ? image.TopicsByName.Keys : request.Topics.Select(t => t.Name))
        {
            if (string.CompareOrdinal(name, cursorTopic) >= 0)
                names.Add(name);
        }
        if (!fetchAll && cursor is not null && !names.Contains(cursor.TopicName))
            return new(Failed(request, ErrorCode.InvalidRequest));

        var response = new DescribeTopicPartitionsResponse();
        var remaining = Math.Min(services.Config.GetInt("max.request.partition.size.limit"), request.ResponsePartitionLimit);
        foreach (var name in names)
        {
            if (remaining <= 0)
            {
                // The previous topics are complete: the next page starts at this one.
                if (remaining == 0)
                    response.NextCursor = new DescribeTopicPartitionsCursor { TopicName = name, PartitionIndex = 0 };
                break;
            }
            var topic = image.Topic(name);
            if (topic is null)
            {
                if (!fetchAll)
                    response.Topics.Add(Unknown(name));
                continue;
            }
            var first = cursor is not null && name == cursorTopic ? Math.Max(0, cursor.PartitionIndex) : 0;
            var end = first >= topic.Partitions.Length ? first : first + Math.Min(remaining, topic.Partitions.Length - first);
            var described = Describe(image, topic, first, end);
            response.Topics.Add(described);
            if (end < topic.Partitions.Length)
            {
                response.NextCursor = new DescribeTopicPartitionsCursor { TopicName = name, PartitionIndex = end };
                break;
            }
            remaining -= described.Partitions.Count;
        }
        return new(response);
    }

    private DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic Describe(MetadataImage image, TopicMetadata topic, int first, int end)
    {
        var result = new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = TopicNames.IsInternal(topic.Name),
            TopicAuthorizedOperations = MetadataHandler.AllTopicOperations,
            Partitions = new List<DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition>(Math.Max(0, end - first)),
        };
        for (var i = first; i < end; i++)
        {
            var p = topic.Partitions[i];
            var state = PartitionState.Of(services, image, topic.Name, p);
            result.Partitions.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition
            {
                PartitionIndex = p.Partition,
                LeaderId = state.Leader,
                LeaderEpoch = state.LeaderEpoch,
                ReplicaNodes = [.. state.Replicas],
                IsrNodes = [.. state.Isr],
                EligibleLeaderReplicas = [],
                LastKnownElr = [],
                OfflineReplicas = [.. state.OfflineReplicas],
            });
        }
        return result;
    }

    private static DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic Unknown(string name) => new()
    {
        ErrorCode = (short)(TopicNames.IsValid(name) ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException),
        Name = name,
        IsInternal = TopicNames.IsInternal(name),
        TopicAuthorizedOperations = MetadataHandler.AllTopicOperations,
    };

    // Kafka answers a request it rejects with the error on every named topic (DescribeTopicPartitionsRequest.getErrorResponse).
    private static DescribeTopicPartitionsResponse Failed(DescribeTopicPartitionsRequest request, ErrorCode error)
    {
        var response = new DescribeTopicPartitionsResponse();
        foreach (var topic in request.Topics)
            response.Topics.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic { ErrorCode = (short)error, Name = topic.Name });
        return response;
    }
}
