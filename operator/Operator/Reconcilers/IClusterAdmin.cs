namespace KafkaOperator.Operator.Reconcilers;

/// <summary>One partition as the brokers report it, with its topic's effective min.insync.replicas.</summary>
public sealed record PartitionState(string Topic, int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, int MinInsyncReplicas)
{
    public bool UnderReplicated => Isr.Count < Replicas.Count;
    public bool UnderMinIsr => Isr.Count < MinInsyncReplicas;
    public bool Offline => Leader < 0;
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>A partition's replicas now and the ones it should have (the first is the preferred leader).</summary>
public sealed record ReplicaMove(string Topic, int Partition, IReadOnlyList<int> Current, IReadOnlyList<int> Target)
{
    public override string ToString() => $"{Topic}-{Partition}: [{string.Join(",", Current)}] -> [{string.Join(",", Target)}]";
}

/// <summary>A voter of the metadata quorum and how far its log is behind the leader's high watermark (-1: unknown).</summary>
public sealed record VoterState(int Id, long Lag);

/// <summary>
/// What the operator reads from a running cluster through the Kafka protocol: registered brokers, the active
/// controller (the quorum leader), every partition's replicas and ISR, ongoing reassignments and the quorum.
/// </summary>
public sealed record ClusterState(
    IReadOnlyList<int> Brokers,
    int ActiveController,
    IReadOnlyList<PartitionState> Partitions,
    IReadOnlySet<string> Reassigning,
    int QuorumLeader,
    IReadOnlyList<VoterState> Voters)
{
    public IEnumerable<PartitionState> HostedBy(int broker) => Partitions.Where(p => p.Replicas.Contains(broker));
}

/// <summary>
/// The cluster-wide Kafka admin operations of the cluster reconciler (over the Kafka protocol in
/// <see cref="KafkaTopicAdmin"/>; tests use an in-memory fake). Failures surface as <see cref="TopicAdminException"/>.
/// </summary>
public interface IClusterAdmin
{
    Task<ClusterState> DescribeClusterAsync(string bootstrap, CancellationToken ct);

    /// <summary>The cluster-wide dynamic broker defaults (DescribeConfigs of the broker resource "").</summary>
    Task<IReadOnlyDictionary<string, string>> DescribeClusterDefaultsAsync(string bootstrap, CancellationToken ct);

    /// <summary>IncrementalAlterConfigs on the cluster-wide default broker resource: set and delete.</summary>
    Task AlterClusterDefaultsAsync(string bootstrap, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> delete, CancellationToken ct);

    /// <summary>
    /// Starts the moves (AlterPartitionReassignments). With a throttle, first sets it as kafka-reassign-partitions
    /// does: the moving replicas on their topics (leader/follower.replication.throttled.replicas) and the rate on
    /// every broker involved.
    /// </summary>
    Task ReassignAsync(string bootstrap, IReadOnlyList<ReplicaMove> moves, long? throttleBytesPerSecond, CancellationToken ct);

    /// <summary>Removes the throttled replica lists of the topics and the throttle rates of every broker.</summary>
    Task ClearThrottlesAsync(string bootstrap, IReadOnlyCollection<string> topics, CancellationToken ct);

    /// <summary>The bytes of each partition (its largest replica, DescribeLogDirs), keyed by (topic, partition).</summary>
    Task<IReadOnlyDictionary<(string Topic, int Partition), long>> PartitionSizesAsync(string bootstrap, CancellationToken ct);

    /// <summary>
    /// Preferred leader elections (ElectLeaders) for the partitions; returns how many moved. Partitions whose
    /// preferred replica cannot lead now are left to the controller's own leader rebalancing. An admin that cannot
    /// elect leaders elects none.
    /// </summary>
    Task<int> ElectPreferredLeadersAsync(string bootstrap, IReadOnlyCollection<(string Topic, int Partition)> partitions, CancellationToken ct) =>
        Task.FromResult(0);
}
