using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

/// <summary>An ongoing reassignment (KIP-455): the partition's replicas now (target and leaving ones), and which are being added and removed.</summary>
public sealed record PartitionReassignment(TopicPartition Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> AddingReplicas,
    IReadOnlyList<int> RemovingReplicas);

/// <summary>Outcome of a reassignment request for one partition; <see cref="Error"/> is null when it was accepted.</summary>
public sealed record ReassignmentResult(TopicPartition Partition, KafkaException? Error)
{
    public bool Succeeded => Error is null;
}

public sealed partial class KafkaAdminClient
{
    /// <summary>
    /// Starts (target replicas) or cancels (null) the reassignment of each partition (AlterPartitionReassignments).
    /// <paramref name="allowReplicationFactorChange"/> false (KIP-860, brokers with v1) refuses targets that change the
    /// replica count. Per-partition errors come back in the results; a request-level error throws.
    /// </summary>
    public async Task<IReadOnlyList<ReassignmentResult>> AlterPartitionReassignmentsAsync(
        IReadOnlyDictionary<TopicPartition, IReadOnlyList<int>?> targets, bool allowReplicationFactorChange = true,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        AlterPartitionReassignmentsRequest Build(short version) => new()
        {
            TimeoutMs = TimeoutMs(timeout),
            AllowReplicationFactorChange = version >= 1 ? allowReplicationFactorChange : true,
            Topics = targets.GroupBy(kv => kv.Key.Topic).Select(g => new AlterPartitionReassignmentsRequest.ReassignableTopic
            {
                Name = g.Key,
                Partitions = g.Select(kv => new AlterPartitionReassignmentsRequest.ReassignablePartition
                {
                    PartitionIndex = kv.Key.Partition,
                    Replicas = kv.Value is null ? null : [.. kv.Value],
                }).ToList(),
            }).ToList(),
        };
        var response = await Cluster.SendToControllerAsync<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(Build,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (Error(response.ErrorCode, response.ErrorMessage) is { } error)
            throw error;
        var results = new Dictionary<TopicPartition, ReassignmentResult>();
        foreach (var topic in response.Responses)
        {
            foreach (var p in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, p.PartitionIndex);
                results[tp] = new ReassignmentResult(tp, Error(p.ErrorCode, p.ErrorMessage));
            }
        }
        return targets.Keys.Select(tp => results.TryGetValue(tp, out var r) ? r : new ReassignmentResult(tp, Missing(tp.ToString()))).ToList();
    }

    /// <summary>The ongoing reassignments (ListPartitionReassignments): all of them, or those among <paramref name="partitions"/>.</summary>
    public async Task<IReadOnlyList<PartitionReassignment>> ListPartitionReassignmentsAsync(IEnumerable<TopicPartition>? partitions = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new ListPartitionReassignmentsRequest
        {
            TimeoutMs = TimeoutMs(timeout),
            Topics = partitions?.GroupBy(p => p.Topic).Select(g => new ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics
            {
                Name = g.Key,
                PartitionIndexes = [.. g.Select(p => p.Partition).Distinct()],
            }).ToList(),
        };
        var response = await Cluster.SendToControllerAsync<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(request,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (Error(response.ErrorCode, response.ErrorMessage) is { } error)
            throw error;
        return response.Topics.SelectMany(t => t.Partitions.Select(p => new PartitionReassignment(new TopicPartition(t.Name, p.PartitionIndex),
            p.Replicas, p.AddingReplicas, p.RemovingReplicas))).ToList();
    }
}
