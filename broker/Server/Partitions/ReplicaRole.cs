namespace KafkaOperator.Server.Partitions;

/// <summary>
/// A replica's role as the committed metadata gives it: who leads in which leader epoch, the ISR and the partition
/// epoch they were decided in. Immutable, replaced as a whole under the partition's lock.
/// </summary>
public sealed record ReplicaRole(int LeaderId, int LeaderEpoch, int PartitionEpoch, int[] Replicas, int[] Isr, bool IsLeader)
{
    public static readonly ReplicaRole None = new(-1, -1, -1, [], [], false);
}

/// <summary>What the leader knows of one follower: its log end offset from its last fetch, and since when it has been caught up.</summary>
internal sealed class FollowerState
{
    public long LogEndOffset { get; set; } = -1;

    /// <summary>The follower's log start offset from its last fetch (-1: not known yet).</summary>
    public long LogStartOffset { get; set; } = -1;

    /// <summary>The last time the follower had everything the leader had (as Kafka's lastCaughtUpTimeMs).</summary>
    public long LastCaughtUpMs { get; set; }

    public long LastFetchMs { get; set; } = -1;

    /// <summary>The leader's log end offset at the follower's previous fetch.</summary>
    public long LeaderEndOffsetAtLastFetch { get; set; } = -1;
}

/// <summary>Where a leader sends its ISR change requests (AlterPartition to the active controller).</summary>
public interface IIsrChangeChannel
{
    /// <summary>Asks for <paramref name="newIsr"/>; the answer arrives as committed metadata, which the partition applies.</summary>
    void Submit(Partition partition, ReplicaRole basedOn, int[] newIsr);

    /// <summary>Whether broker <paramref name="brokerId"/> may join an ISR now (registered, unfenced, not shutting down: KIP-841).</summary>
    bool IsEligible(int brokerId);

    /// <summary>Whether broker <paramref name="brokerId"/> is registered and unfenced (Kafka's alive broker: its replicas count for the low watermark).</summary>
    bool IsAlive(int brokerId) => IsEligible(brokerId);
}
