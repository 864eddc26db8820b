using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// ListPartitionReassignments 0: the partitions of this node's metadata image that are being reassigned, with their
/// replicas (target and leaving ones), adding and removing replicas; all of them, or those of the named partitions
/// (unknown topics and partitions are left out, as in Kafka).
/// </summary>
public sealed class ListPartitionReassignmentsHandler(BrokerServices services) : ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<ListPartitionReassignmentsResponse?> HandleAsync(RequestContext context, ListPartitionReassignmentsRequest request)
    {
        var image = services.Metadata.Image;
        var response = new ListPartitionReassignmentsResponse();
        if (request.Topics is null)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
                Add(response, topic, topic.Partitions);
        }
        else
        {
            foreach (var t in request.Topics)
            {
                if (image.Topic(t.Name) is not { } topic)
                    continue;
                Add(response, topic, t.PartitionIndexes.Where(i => (uint)i < (uint)topic.Partitions.Length).Select(i => topic.Partitions[i]));
            }
        }
        return new(response);
    }

    private static void Add(ListPartitionReassignmentsResponse response, TopicMetadata topic, IEnumerable<PartitionMetadata> partitions)
    {
        ListPartitionReassignmentsResponse.OngoingTopicReassignment? result = null;
        foreach (var p in partitions)
        {
            if (!p.IsReassigning)
                continue;
            if (result is null)
            {
                result = new ListPartitionReassignmentsResponse.OngoingTopicReassignment { Name = topic.Name };
                response.Topics.Add(result);
            }
            result.Partitions.Add(new ListPartitionReassignmentsResponse.OngoingPartitionReassignment
            {
                PartitionIndex = p.Partition,
                Replicas = [.. p.Replicas],
                AddingReplicas = [.. p.AddingReplicas ?? []],
                RemovingReplicas = [.. p.RemovingReplicas ?? []],
            });
        }
    }
}
