using System.Globalization;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Reassign;

/// <summary>
/// Replication throttles as kafka-reassign-partitions.sh sets them: on each topic of the plan,
/// leader.replication.throttled.replicas lists the moving partitions' current replicas and
/// follower.replication.throttled.replicas their new ones ("partition:broker", merged with what is set already); on
/// every broker involved, leader.replication.throttled.rate and follower.replication.throttled.rate. Removed again
/// from the plan's topics and every broker once the plan is done (status) or cancelled.
/// </summary>
public static class Throttles
{
    public const string LeaderReplicas = "leader.replication.throttled.replicas";
    public const string FollowerReplicas = "follower.replication.throttled.replicas";
    public const string LeaderRate = "leader.replication.throttled.rate";
    public const string FollowerRate = "follower.replication.throttled.rate";

    public static async Task SetAsync(KafkaAdminClient admin, ReassignmentPlan plan, IReadOnlyDictionary<TopicPartition, IReadOnlyList<int>> current,
        long rate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(current);
        var alterations = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>();
        var brokers = new SortedSet<int>();
        foreach (var topic in plan.Partitions.GroupBy(p => p.Partition.Topic))
        {
            var leader = new List<string>();
            var follower = new List<string>();
            foreach (var p in topic)
            {
                var now = current.GetValueOrDefault(p.Partition) ?? [];
                brokers.UnionWith(now);
                brokers.UnionWith(p.Replicas);
                if (now.SequenceEqual(p.Replicas))
                    continue;
                leader.AddRange(now.Select(b => Entry(p.Partition.Partition, b)));
                follower.AddRange(p.Replicas.Where(b => !now.Contains(b)).Select(b => Entry(p.Partition.Partition, b)));
            }
            if (leader.Count == 0 && follower.Count == 0)
                continue;
            var existing = await admin.DescribeTopicConfigsAsync(topic.Key, cancellationToken).ConfigureAwait(false);
            alterations[ConfigResource.Topic(topic.Key)] =
            [
                new ConfigAlteration(LeaderReplicas, Merge(existing.Succeeded ? existing[LeaderReplicas]?.Value : null, leader)),
                new ConfigAlteration(FollowerReplicas, Merge(existing.Succeeded ? existing[FollowerReplicas]?.Value : null, follower)),
            ];
        }
        var value = rate.ToString(CultureInfo.InvariantCulture);
        foreach (var b in brokers)
            alterations[ConfigResource.Broker(b)] = [new ConfigAlteration(LeaderRate, value), new ConfigAlteration(FollowerRate, value)];
        (await admin.IncrementalAlterConfigsAsync(alterations, cancellationToken: cancellationToken).ConfigureAwait(false)).ThrowIfAnyFailed();
    }

    /// <summary>Deletes the throttled replica lists of <paramref name="topics"/> and the rates of every broker.</summary>
    public static async Task RemoveAsync(KafkaAdminClient admin, IEnumerable<string> topics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(topics);
        var alterations = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>();
        foreach (var topic in topics.Distinct(StringComparer.Ordinal))
            alterations[ConfigResource.Topic(topic)] = [new ConfigAlteration(LeaderReplicas, null, AlterConfigOp.Delete), new ConfigAlteration(FollowerReplicas, null, AlterConfigOp.Delete)];
        var cluster = await admin.DescribeClusterAsync(cancellationToken).ConfigureAwait(false);
        foreach (var b in cluster.Brokers)
            alterations[ConfigResource.Broker(b.NodeId)] = [new ConfigAlteration(LeaderRate, null, AlterConfigOp.Delete), new ConfigAlteration(FollowerRate, null, AlterConfigOp.Delete)];
        var results = await admin.IncrementalAlterConfigsAsync(alterations, cancellationToken: cancellationToken).ConfigureAwait(false);
        // A topic deleted meanwhile has no throttle left to remove.
        results.Where(r => r.Error is not { Code: Protocol.ErrorCode.UnknownTopicOrPartition }).ToList().ThrowIfAnyFailed();
    }

    private static string Entry(int partition, int broker) => string.Create(CultureInfo.InvariantCulture, $"{partition}:{broker}");

    internal static string Merge(string? existing, List<string> added)
    {
        if (existing?.Trim() == "*")
            return "*";
        var all = new List<string>();
        foreach (var e in (existing ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Concat(added))
        {
            if (!all.Contains(e))
                all.Add(e);
        }
        return string.Join(',', all);
    }
}
