using System.Globalization;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary><see cref="IClusterAdmin"/> over the same connections as the topic operations.</summary>
public sealed partial class KafkaTopicAdmin
{
    private const string MinInsyncReplicas = "min.insync.replicas";
    private const string LeaderThrottledReplicas = "leader.replication.throttled.replicas";
    private const string FollowerThrottledReplicas = "follower.replication.throttled.replicas";
    private const string LeaderRate = "leader.replication.throttled.rate";
    private const string FollowerRate = "follower.replication.throttled.rate";

    public Task<ClusterState> DescribeClusterAsync(string bootstrap, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var cluster = await a.DescribeClusterAsync(ct).ConfigureAwait(false);
            var topics = await a.DescribeAllTopicsAsync(includeInternal: true, cancellationToken: ct).ConfigureAwait(false);
            var described = topics.Where(t => t.Succeeded).ToList();
            var configs = described.Count == 0 ? [] : await a.DescribeConfigsAsync(described.Select(t => ConfigResource.Topic(t.Name)), cancellationToken: ct).ConfigureAwait(false);
            var minIsr = configs.ToDictionary(c => c.Resource.Name,
                c => int.TryParse(c[MinInsyncReplicas]?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 1, StringComparer.Ordinal);
            var partitions = described.SelectMany(t => t.Partitions.Select(p => new PartitionState(t.Name, p.Partition, p.LeaderId, p.Replicas, p.Isr,
                minIsr.GetValueOrDefault(t.Name, 1)))).ToList();
            var reassigning = (await a.ListPartitionReassignmentsAsync(cancellationToken: ct).ConfigureAwait(false))
                .Select(r => r.Partition.ToString()).ToHashSet(StringComparer.Ordinal);
            var quorumLeader = -1;
            IReadOnlyList<VoterState> voters = [];
            try
            {
                var quorum = await a.DescribeQuorumAsync(ct).ConfigureAwait(false);
                quorumLeader = quorum.LeaderId;
                voters = quorum.Voters.Select(v => new VoterState(v.Id, v.Lag)).ToList();
            }
            catch (Client.KafkaException)
            {
                // A quorum that cannot be described (an election is on) leaves the quorum part of the status empty.
            }
            var active = quorumLeader >= 0 ? quorumLeader : cluster.ControllerId;
            return new ClusterState(cluster.Brokers.Select(b => b.NodeId).Order().ToList(), active, partitions, reassigning, quorumLeader, voters);
        });

    public Task<IReadOnlyDictionary<string, string>> DescribeClusterDefaultsAsync(string bootstrap, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var result = (await a.DescribeConfigsAsync([new ConfigResource(ConfigResourceType.Broker, "")], cancellationToken: ct).ConfigureAwait(false))[0];
            ThrowIf(result.Error);
            return (IReadOnlyDictionary<string, string>)result.Entries
                .Where(e => e.Source == ConfigSource.DynamicDefaultBrokerConfig && e.Value is not null)
                .ToDictionary(e => e.Name, e => e.Value!, StringComparer.Ordinal);
        });

    public Task AlterClusterDefaultsAsync(string bootstrap, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct) =>
        AlterAsync(bootstrap, new ConfigResource(ConfigResourceType.Broker, ""),
            set.Select(kv => new ConfigAlteration(kv.Key, kv.Value, AlterConfigOp.Set)).Concat(delete.Select(k => new ConfigAlteration(k, null, AlterConfigOp.Delete))).ToList(), ct);

    public Task ReassignAsync(string bootstrap, IReadOnlyList<ReplicaMove> moves, long? throttleBytesPerSecond, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            if (throttleBytesPerSecond is long rate)
            {
                var alterations = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>();
                foreach (var topic in moves.GroupBy(m => m.Topic, StringComparer.Ordinal))
                {
                    alterations[ConfigResource.Topic(topic.Key)] =
                    [
                        new ConfigAlteration(LeaderThrottledReplicas, string.Join(',', topic.SelectMany(m => m.Current.Select(b => Entry(m.Partition, b))))),
                        new ConfigAlteration(FollowerThrottledReplicas, string.Join(',', topic.SelectMany(m => m.Target.Where(b => !m.Current.Contains(b)).Select(b => Entry(m.Partition, b))))),
                    ];
                }
                var value = rate.ToString(CultureInfo.InvariantCulture);
                foreach (var b in moves.SelectMany(m => m.Current.Concat(m.Target)).Distinct())
                {
                    alterations[ConfigResource.Broker(b)] = [new ConfigAlteration(LeaderRate, value), new ConfigAlteration(FollowerRate, value)];
                }
                foreach (var result in await a.IncrementalAlterConfigsAsync(alterations, cancellationToken: ct).ConfigureAwait(false))
                {
                    ThrowIf(result.Error);
                }
            }
            var request = moves.ToDictionary(m => new TopicPartition(m.Topic, m.Partition), m => (IReadOnlyList<int>?)m.Target);
            var results = await a.AlterPartitionReassignmentsAsync(request, cancellationToken: ct).ConfigureAwait(false);
            if (results.FirstOrDefault(r => !r.Succeeded) is { } failed)
            {
                ThrowIf(failed.Error);
            }
            return true;
        });

    public Task ClearThrottlesAsync(string bootstrap, IReadOnlyCollection<string> topics, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var alterations = new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>();
            foreach (var topic in topics.Distinct(StringComparer.Ordinal))
            {
                alterations[ConfigResource.Topic(topic)] = [new ConfigAlteration(LeaderThrottledReplicas, null, AlterConfigOp.Delete), new ConfigAlteration(FollowerThrottledReplicas, null, AlterConfigOp.Delete)];
            }
            foreach (var b in (await a.DescribeClusterAsync(ct).ConfigureAwait(false)).Brokers)
            {
                alterations[ConfigResource.Broker(b.NodeId)] = [new ConfigAlteration(LeaderRate, null, AlterConfigOp.Delete), new ConfigAlteration(FollowerRate, null, AlterConfigOp.Delete)];
            }
            foreach (var result in await a.IncrementalAlterConfigsAsync(alterations, cancellationToken: ct).ConfigureAwait(false))
            {
                // A topic deleted meanwhile has no throttle left to remove.
                if (result.Error?.Code != Protocol.ErrorCode.UnknownTopicOrPartition)
                {
                    ThrowIf(result.Error);
                }
            }
            return true;
        });

    private static string Entry(int partition, int broker) => string.Create(CultureInfo.InvariantCulture, $"{partition}:{broker}");

    public Task<IReadOnlyDictionary<(string Topic, int Partition), long>> PartitionSizesAsync(string bootstrap, CancellationToken ct) =>
        RunAsync(bootstrap, async a =>
        {
            var sizes = new Dictionary<(string, int), long>();
            foreach (var dir in await a.DescribeLogDirsAsync(cancellationToken: ct).ConfigureAwait(false))
            {
                foreach (var r in dir.Replicas.Where(r => !r.IsFuture))
                {
                    // The largest copy stands for the partition: a follower still catching up holds less.
                    sizes[(r.Topic, r.Partition)] = Math.Max(sizes.GetValueOrDefault((r.Topic, r.Partition)), r.SizeBytes);
                }
            }
            return (IReadOnlyDictionary<(string Topic, int Partition), long>)sizes;
        });

    private Task AlterAsync(string bootstrap, ConfigResource resource, IReadOnlyList<ConfigAlteration> ops, CancellationToken ct) =>
        ops.Count == 0 ? Task.CompletedTask : RunAsync(bootstrap, async a =>
        {
            var results = await a.IncrementalAlterConfigsAsync(
                new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> { [resource] = ops }, cancellationToken: ct).ConfigureAwait(false);
            ThrowIf(results[0].Error);
            return true;
        });
}
