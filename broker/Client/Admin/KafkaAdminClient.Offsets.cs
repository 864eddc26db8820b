using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    private static readonly ApiVersionRange ListOffsetsVersions = new(1, 10);

    /// <summary>
    /// Offsets of partitions at <paramref name="timestamp"/>: <see cref="OffsetSpec.Earliest"/>,
    /// <see cref="OffsetSpec.Latest"/>, <see cref="OffsetSpec.MaxTimestamp"/> or a timestamp in ms (first offset at
    /// or after it; -1 offset when there is none). Asked of each partition's leader; per-partition errors.
    /// </summary>
    public async Task<IReadOnlyList<PartitionOffset>> ListOffsetsAsync(IEnumerable<TopicPartition> partitions, long timestamp,
        CancellationToken cancellationToken = default)
    {
        var list = partitions.ToList();
        var results = await PartitionRouter.SendByLeaderAsync(Cluster, list.Select(p => (p.Topic, p.Partition)),
            async (connection, group, ct) =>
            {
                var request = new ListOffsetsRequest
                {
                    ReplicaId = -1,
                    Topics = group.GroupBy(p => p.Topic).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                    {
                        Name = g.Key,
                        Partitions = g.Select(p => new ListOffsetsRequest.ListOffsetsPartition
                        {
                            PartitionIndex = p.Partition,
                            Timestamp = timestamp,
                        }).ToList(),
                    }).ToList(),
                };
                var response = await connection.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(request, ListOffsetsVersions, ct)
                    .ConfigureAwait(false);
                var answered = new Dictionary<(string Topic, int Partition), PartitionOffset>();
                foreach (var topic in response.Topics)
                {
                    foreach (var p in topic.Partitions)
                    {
                        answered[(topic.Name, p.PartitionIndex)] = new PartitionOffset(new TopicPartition(topic.Name, p.PartitionIndex),
                            p.Offset, p.Timestamp, p.LeaderEpoch, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"));
                    }
                }

                return answered;
            },
            r => r.Error?.Code ?? ErrorCode.None,
            (tp, ex) => new PartitionOffset(new TopicPartition(tp.Topic, tp.Partition), -1, -1, -1, ex),
            cancellationToken).ConfigureAwait(false);
        return list.Select(p => results[(p.Topic, p.Partition)]).ToList();
    }

    /// <summary>Offsets at <paramref name="timestamp"/> for every partition of a topic, in partition order.</summary>
    public async Task<IReadOnlyList<PartitionOffset>> ListTopicOffsetsAsync(string topic, long timestamp,
        CancellationToken cancellationToken = default)
    {
        var metadata = await Cluster.GetTopicAsync(topic, refresh: true, cancellationToken).ConfigureAwait(false);
        return await ListOffsetsAsync(metadata.Partitions.Select(p => new TopicPartition(topic, p.Partition)), timestamp,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes records before the given offset of each partition (-1: up to the high watermark).</summary>
    public async Task<IReadOnlyList<DeletedRecords>> DeleteRecordsAsync(IReadOnlyDictionary<TopicPartition, long> beforeOffsets,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var results = await PartitionRouter.SendByLeaderAsync(Cluster, beforeOffsets.Keys.Select(p => (p.Topic, p.Partition)),
            async (connection, group, ct) =>
            {
                var request = new DeleteRecordsRequest
                {
                    TimeoutMs = TimeoutMs(timeout),
                    Topics = group.GroupBy(p => p.Topic).Select(g => new DeleteRecordsRequest.DeleteRecordsTopic
                    {
                        Name = g.Key,
                        Partitions = g.Select(p => new DeleteRecordsRequest.DeleteRecordsPartition
                        {
                            PartitionIndex = p.Partition,
                            Offset = beforeOffsets[new TopicPartition(p.Topic, p.Partition)],
                        }).ToList(),
                    }).ToList(),
                };
                var response = await connection.SendAsync<DeleteRecordsRequest, DeleteRecordsResponse>(request,
                    cancellationToken: ct).ConfigureAwait(false);
                var answered = new Dictionary<(string Topic, int Partition), DeletedRecords>();
                foreach (var topic in response.Topics)
                {
                    foreach (var p in topic.Partitions)
                    {
                        answered[(topic.Name, p.PartitionIndex)] = new DeletedRecords(new TopicPartition(topic.Name, p.PartitionIndex),
                            p.LowWatermark, Error(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}"));
                    }
                }

                return answered;
            },
            r => r.Error?.Code ?? ErrorCode.None,
            (tp, ex) => new DeletedRecords(new TopicPartition(tp.Topic, tp.Partition), -1, ex),
            cancellationToken).ConfigureAwait(false);
        return beforeOffsets.Keys.Select(p => results[(p.Topic, p.Partition)]).ToList();
    }
}
