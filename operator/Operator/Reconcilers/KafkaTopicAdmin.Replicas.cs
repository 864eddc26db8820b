using KafkaOperator.Client.Admin;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>The replica side of <see cref="ITopicAdmin"/>: assignments, broker loads and replication factor changes.</summary>
public sealed partial class KafkaTopicAdmin
{
    private static async Task<IReadOnlyList<TopicPartitionReplicas>> AssignmentAsync(KafkaAdminClient a, TopicDescription d, CancellationToken ct)
    {
        if (d.Partitions.Count == 0)
        {
            return [];
        }
        var moving = (await a.ListPartitionReassignmentsAsync(d.Partitions.Select(p => new TopicPartition(d.Name, p.Partition)), cancellationToken: ct).ConfigureAwait(false))
            .Where(r => r.Partition.Topic == d.Name)
            .ToDictionary(r => r.Partition.Partition);
        return d.Partitions.OrderBy(p => p.Partition).Select(p => moving.TryGetValue(p.Partition, out var r)
            ? new TopicPartitionReplicas(p.Partition, p.LeaderId, p.Replicas, p.Isr, r.AddingReplicas, r.RemovingReplicas)
            : new TopicPartitionReplicas(p.Partition, p.LeaderId, p.Replicas, p.Isr, [], [])).ToList();
    }

    public Task<IReadOnlyDictionary<int, int>> BrokerLoadsAsync(string bootstrap, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var cluster = await a.DescribeClusterAsync(ct).ConfigureAwait(false);
            var loads = cluster.Brokers.ToDictionary(b => b.NodeId, _ => 0);
            foreach (var topic in await a.DescribeAllTopicsAsync(includeInternal: true, cancellationToken: ct).ConfigureAwait(false))
            {
                foreach (var replica in topic.Partitions.SelectMany(p => p.Replicas).Where(loads.ContainsKey))
                {
                    loads[replica]++;
                }
            }
            return (IReadOnlyDictionary<int, int>)loads;
        });

    public Task ReassignPartitionsAsync(string bootstrap, string topic, IReadOnlyDictionary<int, IReadOnlyList<int>> targets, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var request = targets.ToDictionary(kv => new TopicPartition(topic, kv.Key), kv => (IReadOnlyList<int>?)kv.Value);
            var results = await a.AlterPartitionReassignmentsAsync(request, cancellationToken: ct).ConfigureAwait(false);
            if (results.FirstOrDefault(r => !r.Succeeded) is { } failed)
            {
                ThrowIf(failed.Error);
            }
            return true;
        });
}
