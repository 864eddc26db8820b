using KafkaOperator.Operator.Reconcilers;

namespace KafkaOperator.Operator.Tests.Support;

/// <summary>
/// An in-memory cluster as the Kafka admin API shows it: brokers, partitions with replicas and ISR, the cluster-wide
/// dynamic defaults, reassignments that stay in progress until the test completes them.
/// </summary>
public sealed class FakeClusterAdmin : IClusterAdmin
{
    private readonly Lock _lock = new();

    public List<int> Brokers { get; set; } = [0, 1, 2];
    public int ActiveController { get; set; } = 0;
    public List<PartitionState> Partitions { get; } = [];
    public Dictionary<string, string> Defaults { get; } = new(StringComparer.Ordinal);
    public List<ReplicaMove> Moves { get; } = [];
    public HashSet<string> Reassigning { get; } = new(StringComparer.Ordinal);
    public List<string> Mutations { get; } = [];
    public long? LastThrottle { get; private set; }
    public string? FailWith { get; set; }
    public int Describes { get; private set; }

    /// <summary>Adds a topic whose partitions' replicas are given, each fully in sync.</summary>
    public void Seed(string topic, int minIsr, params int[][] replicas)
    {
        lock (_lock)
        {
            for (var i = 0; i < replicas.Length; i++)
            {
                Partitions.Add(new PartitionState(topic, i, replicas[i][0], replicas[i], replicas[i], minIsr));
            }
        }
    }

    public void SetIsr(string topic, int partition, params int[] isr)
    {
        lock (_lock)
        {
            var i = Partitions.FindIndex(p => p.Topic == topic && p.Partition == partition);
            Partitions[i] = Partitions[i] with { Isr = isr, Leader = isr.Length == 0 ? -1 : Partitions[i].Leader };
        }
    }

    /// <summary>Finishes every ongoing reassignment: the partitions get their target replicas, all in sync.</summary>
    public void CompleteReassignments()
    {
        lock (_lock)
        {
            foreach (var move in Moves.Where(m => Reassigning.Contains($"{m.Topic}-{m.Partition}")))
            {
                var i = Partitions.FindIndex(p => p.Topic == move.Topic && p.Partition == move.Partition);
                Partitions[i] = Partitions[i] with { Replicas = move.Target, Isr = move.Target, Leader = move.Target[0] };
            }
            Reassigning.Clear();
        }
    }

    private void Check()
    {
        if (FailWith is not null)
        {
            throw new TopicAdminException(FailWith, "BrokerNotAvailable");
        }
    }

    public Task<ClusterState> DescribeClusterAsync(string bootstrap, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            Describes++;
            return Task.FromResult(new ClusterState([.. Brokers], ActiveController, [.. Partitions], new HashSet<string>(Reassigning, StringComparer.Ordinal),
                ActiveController, Brokers.Where(b => b < 3).Select(b => new VoterState(b, 0)).ToList()));
        }
    }

    public Task<IReadOnlyDictionary<string, string>> DescribeClusterDefaultsAsync(string bootstrap, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(Defaults, StringComparer.Ordinal));
        }
    }

    public Task AlterClusterDefaultsAsync(string bootstrap, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            foreach (var (k, v) in set)
            {
                Defaults[k] = v;
                Mutations.Add($"set {k}={v}");
            }
            foreach (var k in delete)
            {
                Defaults.Remove(k);
                Mutations.Add($"delete {k}");
            }
        }
        return Task.CompletedTask;
    }

    public Task ReassignAsync(string bootstrap, IReadOnlyList<ReplicaMove> moves, long? throttleBytesPerSecond, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            LastThrottle = throttleBytesPerSecond;
            foreach (var m in moves)
            {
                Moves.Add(m);
                Reassigning.Add($"{m.Topic}-{m.Partition}");
                Mutations.Add($"reassign {m}");
            }
        }
        return Task.CompletedTask;
    }

    public Task ClearThrottlesAsync(string bootstrap, IReadOnlyCollection<string> topics, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            Mutations.Add("clear throttles");
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<(string Topic, int Partition), long>> PartitionSizesAsync(string bootstrap, CancellationToken ct)
    {
        Check();
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyDictionary<(string Topic, int Partition), long>>(Partitions.ToDictionary(p => (p.Topic, p.Partition), _ => 1000L));
        }
    }
}
