namespace KafkaOperator.Balancer;

/// <summary>A broker replicas may stay on or move to; a null rack counts as one rack shared by every rackless broker.</summary>
public sealed record BalancerBroker(int Id, string? Rack);

/// <summary>
/// A partition as it is now: its replicas (the first is the preferred leader), the broker leading it now (-1: none;
/// shown in the statistics only, the plan is about preferred leaders) and its size in bytes (0 when unknown).
/// </summary>
public sealed record BalancerPartition(string Topic, int Partition, IReadOnlyList<int> Replicas, int Leader, long SizeBytes);

/// <summary>
/// What to plan. Brokers are the live brokers; AddBrokers must be among them (new, empty brokers that should receive
/// replicas and leaders); RemoveBrokers are emptied (they may be missing from Brokers). Replicas on a broker that is
/// neither a live broker nor kept are moved as if it were removed.
/// </summary>
public sealed record BalanceRequest(
    IReadOnlyList<BalancerBroker> Brokers,
    IReadOnlyList<BalancerPartition> Partitions,
    IReadOnlyCollection<int>? RemoveBrokers = null,
    IReadOnlyCollection<int>? AddBrokers = null);

/// <summary>One partition whose replicas change: the target list's first broker is its new preferred leader.</summary>
public sealed record PartitionMove(string Topic, int Partition, IReadOnlyList<int> Current, IReadOnlyList<int> Target)
{
    /// <summary>Replicas the target adds (each one copies the partition's data to a broker that did not have it).</summary>
    public int ReplicasAdded => Target.Count(b => !Current.Contains(b));
}

/// <summary>Load of one broker: replicas, partitions it is the preferred leader of, and bytes of its replicas.</summary>
public sealed record BrokerLoad(int BrokerId, string? Rack, int Replicas, int Leaders, long Bytes);

/// <summary>
/// The spread (largest minus smallest value over the target brokers) of each measure the balancer evens out, with
/// the band inside which a measure counts as balanced: 1 for counts, the largest partition for bytes.
/// </summary>
public sealed record BalanceMeasures(int ReplicaSpread, int LeaderSpread, long ByteSpread, int MinRackSpread)
{
    public static BalanceMeasures Of(IReadOnlyList<BrokerLoad> targets, int minRackSpread) => targets.Count == 0
        ? new BalanceMeasures(0, 0, 0, minRackSpread)
        : new BalanceMeasures(
            targets.Max(b => b.Replicas) - targets.Min(b => b.Replicas),
            targets.Max(b => b.Leaders) - targets.Min(b => b.Leaders),
            targets.Max(b => b.Bytes) - targets.Min(b => b.Bytes),
            minRackSpread);
}

/// <summary>
/// The outcome: the partitions that change, loads per broker before and after (every broker that holds or may hold a
/// replica), the measures over the target brokers, the moves made and the lower bound on the moves any plan reaching
/// a balanced replica count needs (see README: Balancer).
/// </summary>
public sealed record BalancePlan(
    IReadOnlyList<PartitionMove> Moves,
    IReadOnlyList<BrokerLoad> Before,
    IReadOnlyList<BrokerLoad> After,
    BalanceMeasures MeasuresBefore,
    BalanceMeasures MeasuresAfterEvacuation,
    BalanceMeasures MeasuresAfter,
    int ReplicaMoves,
    long BytesMoved,
    int LeaderChanges,
    int LowerBoundMoves,
    long ByteBand);

/// <summary>A request the balancer cannot plan for (a replication factor above the brokers left, an unknown added broker).</summary>
public sealed class BalancerException(string message) : Exception(message);
