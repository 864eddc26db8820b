namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// The shape of one simulated cluster, chosen by the seed: broker count, replication factor, min.insync.replicas,
/// partitions. <see cref="FailureBudget"/> is how many replicas may lose unflushed writes at once with acks=all
/// records still safe: RF - min.insync.replicas (what keeps writes available), and never more than
/// min.insync.replicas - 1 (an acknowledged record is on min.insync.replicas replicas at least).
/// </summary>
internal sealed record SimSetup(int Brokers, int ReplicationFactor, int MinInsyncReplicas, int Partitions)
{
    public static SimSetup ForSeed(int seed) => (seed & 3) switch
    {
        0 => new SimSetup(3, 3, 2, 1),
        1 => new SimSetup(4, 3, 2, 2),
        2 => new SimSetup(5, 5, 3, 1),
        _ => new SimSetup(3, 3, 2, 2),
    };

    public int FailureBudget => Math.Min(ReplicationFactor - MinInsyncReplicas, MinInsyncReplicas - 1);

    /// <summary>Replica placement: partition p on RF consecutive brokers from p (ids from 1), so leaders spread.</summary>
    public int[] ReplicasOf(int partition) =>
        [.. Enumerable.Range(0, ReplicationFactor).Select(i => ((partition + i) % Brokers) + 1)];
}

/// <summary>Virtual-time settings, in simulated milliseconds (small, so that a run of a few seconds sees many faults).</summary>
internal static class SimTiming
{
    public const int HeartbeatMs = 40;
    public const int SessionTimeoutMs = 200;
    public const int ReplicaLagMaxMs = 150;
    public const int FetchBackoffMs = 20;
    public const int RequestTimeoutMs = 120;
    public const int ProduceTimeoutMs = 400;
    public const int SlowExtraMinMs = 120;
    public const int SlowExtraMaxMs = 360;
}
