using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    /// <summary>Kafka's admin client default (partitionSizeLimitPerResponse); the broker may lower it.</summary>
    private const int PartitionsPerResponse = 2000;

    private async Task<bool> SupportsDescribeTopicPartitionsAsync(CancellationToken cancellationToken)
    {
        var connection = await Cluster.GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        return connection.SupportsApi(ApiKey.DescribeTopicPartitions);
    }

    /// <summary>
    /// DescribeTopicPartitions for <paramref name="names"/> (every topic when empty), following NextCursor until the
    /// broker has described them all; a topic split over two responses is joined again.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, TopicDescription>> DescribeTopicPartitionsAsync(IReadOnlyList<string> names,
        CancellationToken cancellationToken)
    {
        var topics = new Dictionary<string, (DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic Topic, List<PartitionMetadata> Partitions)>(StringComparer.Ordinal);
        DescribeTopicPartitionsCursor? cursor = null;
        do
        {
            var request = new DescribeTopicPartitionsRequest
            {
                Topics = [.. names.Select(n => new DescribeTopicPartitionsRequest.TopicRequest { Name = n })],
                ResponsePartitionLimit = PartitionsPerResponse,
                Cursor = cursor,
            };
            var response = await Cluster.SendToAnyAsync<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>(request,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var topic in response.Topics)
            {
                if (topic.Name is null)
                {
                    continue;
                }

                if (!topics.TryGetValue(topic.Name, out var entry))
                {
                    topics[topic.Name] = entry = (topic, []);
                }

                entry.Partitions.AddRange(topic.Partitions.Select(p => new PartitionMetadata(p.PartitionIndex, p.LeaderId,
                    p.LeaderEpoch, p.ReplicaNodes, p.IsrNodes, p.OfflineReplicas, (ErrorCode)p.ErrorCode)));
            }

            if (response.NextCursor is { } next && cursor is not null && !After(next, cursor))
            {
                // A cursor that does not move forward would make this loop forever.
                throw new KafkaException(ErrorCode.UnknownServerError,
                    $"DescribeTopicPartitions returned the cursor {next.TopicName}/{next.PartitionIndex} after {cursor.TopicName}/{cursor.PartitionIndex}.");
            }

            cursor = response.NextCursor;
        }
        while (cursor is not null);

        return topics.ToDictionary(kv => kv.Key, kv => new TopicDescription(kv.Key, kv.Value.Topic.TopicId, kv.Value.Topic.IsInternal,
            kv.Value.Topic.ErrorCode == 0 ? [.. kv.Value.Partitions.OrderBy(p => p.Partition)] : [],
            Error(kv.Value.Topic.ErrorCode, $"Topic '{kv.Key}'")), StringComparer.Ordinal);
    }

    private static bool After(DescribeTopicPartitionsCursor next, DescribeTopicPartitionsCursor previous)
    {
        var byName = string.CompareOrdinal(next.TopicName, previous.TopicName);
        return byName > 0 || (byName == 0 && next.PartitionIndex > previous.PartitionIndex);
    }

    private static Dictionary<string, TopicDescription> FromMetadata(MetadataResponse response)
    {
        var result = new Dictionary<string, TopicDescription>(StringComparer.Ordinal);
        foreach (var topic in response.Topics)
        {
            if (topic.Name is not { } name)
            {
                continue;
            }

            var metadata = Network.KafkaCluster.ToTopicMetadata(topic);
            result[name] = new TopicDescription(name, metadata.TopicId, metadata.IsInternal,
                topic.ErrorCode == 0 ? metadata.Partitions : [], Error(topic.ErrorCode, $"Topic '{name}'"));
        }

        return result;
    }
}
