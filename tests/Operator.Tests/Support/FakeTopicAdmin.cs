using KafkaOperator.Operator.Reconcilers;

namespace KafkaOperator.Operator.Tests.Support;

/// <summary>An in-memory Kafka admin: topics with partitions, RF and explicitly-set config; records mutations.</summary>
public sealed class FakeTopicAdmin : ITopicAdmin, IClusterAdmin
{
    /// <summary>The cluster side, for the cluster reconciler when the host is given this admin.</summary>
    public FakeClusterAdmin Cluster { get; } = new();

    Task<ClusterState> IClusterAdmin.DescribeClusterAsync(string bootstrap, CancellationToken ct) => Cluster.DescribeClusterAsync(bootstrap, ct);
    Task<IReadOnlyDictionary<string, string>> IClusterAdmin.DescribeClusterDefaultsAsync(string bootstrap, CancellationToken ct) => Cluster.DescribeClusterDefaultsAsync(bootstrap, ct);
    Task IClusterAdmin.AlterClusterDefaultsAsync(string bootstrap, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct) => Cluster.AlterClusterDefaultsAsync(bootstrap, set, delete, ct);
    Task IClusterAdmin.ReassignAsync(string bootstrap, IReadOnlyList<ReplicaMove> moves, long? throttleBytesPerSecond, CancellationToken ct) => Cluster.ReassignAsync(bootstrap, moves, throttleBytesPerSecond, ct);
    Task IClusterAdmin.ClearThrottlesAsync(string bootstrap, IReadOnlyCollection<string> topics, CancellationToken ct) => Cluster.ClearThrottlesAsync(bootstrap, topics, ct);
    Task<IReadOnlyDictionary<(string Topic, int Partition), long>> IClusterAdmin.PartitionSizesAsync(string bootstrap, CancellationToken ct) => Cluster.PartitionSizesAsync(bootstrap, ct);

    private readonly Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    public int Brokers { get; set; } = 3;
    public List<string> Mutations { get; } = [];
    public List<string> Bootstraps { get; } = [];
    public string? FailWith { get; set; }

    /// <summary>A topic's partitions: replicas (the old ones while a reassignment to Targets runs), ISR.</summary>
    public sealed class Topic
    {
        public required string Id { get; init; }
        public List<List<int>> Replicas { get; } = [];
        public List<List<int>> Isr { get; } = [];
        public Dictionary<int, List<int>> Targets { get; } = [];
        public int Partitions => Replicas.Count;
        public int ReplicationFactor => Replicas.Count == 0 ? 0 : Enumerable.Range(0, Replicas.Count).Max(p => Target(p).Count);
        public Dictionary<string, string> Config { get; } = new(StringComparer.Ordinal);

        public List<int> Target(int partition) => Targets.GetValueOrDefault(partition) ?? Replicas[partition];

        public void AddPartitions(int total, int rf, int brokers)
        {
            for (var p = Replicas.Count; p < total; p++)
            {
                var replicas = Enumerable.Range(0, rf).Select(i => (p + i) % brokers).ToList();
                Replicas.Add(replicas);
                Isr.Add([.. replicas]);
            }
        }
    }

    /// <summary>Finishes every ongoing reassignment: each partition gets its target replicas, all in sync.</summary>
    public void CompleteReassignments()
    {
        lock (_topics)
        {
            foreach (var t in _topics.Values)
            {
                foreach (var (p, target) in t.Targets)
                {
                    t.Replicas[p] = target;
                    t.Isr[p] = [.. target];
                }
                t.Targets.Clear();
            }
        }
    }

    public Topic? Get(string name)
    {
        lock (_topics)
        {
            return _topics.GetValueOrDefault(name);
        }
    }

    public void Seed(string name, int partitions, int rf, Dictionary<string, string>? config = null)
    {
        lock (_topics)
        {
            var t = new Topic { Id = Guid.NewGuid().ToString() };
            t.AddPartitions(partitions, rf, Math.Max(Brokers, rf));
            foreach (var (k, v) in config ?? [])
            {
                t.Config[k] = v;
            }
            _topics[name] = t;
        }
    }

    private void Check(string bootstrap)
    {
        lock (_topics)
        {
            Bootstraps.Add(bootstrap);
        }
        if (FailWith is not null)
        {
            throw new TopicAdminException(FailWith, "BrokerNotAvailable");
        }
    }

    public Task<int> CountBrokersAsync(string bootstrap, CancellationToken ct)
    {
        Check(bootstrap);
        return Task.FromResult(Brokers);
    }

    public Task<TopicState?> DescribeTopicAsync(string bootstrap, string topic, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            if (!_topics.TryGetValue(topic, out var t))
            {
                return Task.FromResult<TopicState?>(null);
            }
            var assignment = Enumerable.Range(0, t.Partitions).Select(p =>
            {
                var original = t.Replicas[p];
                var target = t.Target(p);
                var leader = t.Isr[p].Count == 0 ? -1 : t.Isr[p][0];
                return new TopicPartitionReplicas(p, leader, [.. target.Union(original)], [.. t.Isr[p]], [.. target.Except(original)], [.. original.Except(target)]);
            }).ToList();
            return Task.FromResult<TopicState?>(new TopicState(topic, t.Id, t.Partitions, t.ReplicationFactor, new Dictionary<string, string>(t.Config)) { Assignment = assignment });
        }
    }

    public Task<string?> CreateTopicAsync(string bootstrap, string topic, int partitions, int replicationFactor, IReadOnlyDictionary<string, string> config, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            if (_topics.ContainsKey(topic))
            {
                throw new TopicAdminException($"topic {topic} exists", "TopicAlreadyExists");
            }
            Seed(topic, partitions, replicationFactor, config.ToDictionary());
            Mutations.Add($"create {topic} {partitions} {replicationFactor}");
            return Task.FromResult<string?>(_topics[topic].Id);
        }
    }

    public Task CreatePartitionsAsync(string bootstrap, string topic, int totalCount, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            var t = _topics[topic];
            t.AddPartitions(totalCount, t.ReplicationFactor, Math.Max(Brokers, t.ReplicationFactor));
            Mutations.Add($"partitions {topic} {totalCount}");
        }
        return Task.CompletedTask;
    }

    public Task AlterTopicConfigAsync(string bootstrap, string topic, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            var t = _topics[topic];
            foreach (var (k, v) in set)
            {
                t.Config[k] = v;
            }
            foreach (var k in delete)
            {
                t.Config.Remove(k);
            }
            Mutations.Add($"config {topic} set={string.Join(",", set.Keys.Order(StringComparer.Ordinal))} delete={string.Join(",", delete)}");
        }
        return Task.CompletedTask;
    }

    public Task DeleteTopicAsync(string bootstrap, string topic, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            _topics.Remove(topic);
            Mutations.Add($"delete {topic}");
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<int, int>> BrokerLoadsAsync(string bootstrap, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            var loads = Enumerable.Range(0, Brokers).ToDictionary(b => b, _ => 0);
            foreach (var b in _topics.Values.SelectMany(t => t.Replicas.SelectMany(r => r)).Where(loads.ContainsKey))
            {
                loads[b]++;
            }
            return Task.FromResult<IReadOnlyDictionary<int, int>>(loads);
        }
    }

    public Task ReassignPartitionsAsync(string bootstrap, string topic, IReadOnlyDictionary<int, IReadOnlyList<int>> targets, CancellationToken ct)
    {
        Check(bootstrap);
        lock (_topics)
        {
            var t = _topics[topic];
            foreach (var (p, target) in targets.OrderBy(kv => kv.Key))
            {
                Assert.Equal(target.Count, target.Distinct().Count());
                Assert.All(target, b => Assert.InRange(b, 0, Brokers - 1));
                t.Targets[p] = [.. target];
                Mutations.Add($"reassign {topic}-{p} [{string.Join(",", t.Replicas[p])}] -> [{string.Join(",", target)}]");
            }
        }
        return Task.CompletedTask;
    }
}
