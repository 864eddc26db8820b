using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// One simulated broker: its data directory outlives crashes; everything else (partitions, broker epoch, applied
/// metadata, fetchers) belongs to one incarnation of the process and starts over on restart.
/// </summary>
internal sealed class SimBroker(int id, string dataDir)
{
    public int Id { get; } = id;

    public string DataDir { get; } = dataDir;

    public bool Alive { get; set; }

    /// <summary>Bumped by every crash and start: answers addressed to an older process are dropped.</summary>
    public int Incarnation { get; set; }

    /// <summary>The epoch its registration got (the record's offset); -1 until registered in this incarnation.</summary>
    public long BrokerEpoch { get; set; } = -1;

    /// <summary>The metadata this process applied last (null until it caught up after a start).</summary>
    public MetadataImage? Image { get; set; }

    public long ImageOffset { get; set; } = -1;

    public List<SimReplica> Replicas { get; } = [];

    /// <summary>Every message to or from it is slow until then (a slow disk or a congested link: ISR shrinks).</summary>
    public long SlowUntil { get; set; }

    /// <summary>Lost unflushed writes in a power loss and has not rejoined every ISR since.</summary>
    public bool Damaged { get; set; }

    /// <summary>Controlled shutdown under way: it stops once the metadata shows it leading nothing.</summary>
    public bool ShuttingDown { get; set; }

    public bool RegisterInFlight { get; set; }

    public override string ToString() => $"broker {Id}";
}

/// <summary>One replica of one partition on one broker: the production <see cref="Partition"/> plus the simulated fetcher.</summary>
internal sealed class SimReplica(SimBroker broker, Guid topicId, string topic, int index)
{
    public SimBroker Broker { get; } = broker;

    public Guid TopicId { get; } = topicId;

    public string Topic { get; } = topic;

    public int Index { get; } = index;

    public Partition Partition { get; set; } = null!;

    /// <summary>The leader and epoch the fetcher copies from (-1: not fetching), as ReplicaFetcherManager.Add got them.</summary>
    public int FollowLeader { get; set; } = -1;

    public int FollowEpoch { get; set; } = -1;

    /// <summary>Changes whenever the fetcher is retargeted, so that a stale fetch loop stops.</summary>
    public int FetchGeneration { get; set; }

    /// <summary>The recovery point the next start recovers from (0 after a clean stop, when nothing needs recovery).</summary>
    public long RecoveryPointAtCrash { get; set; }

    /// <summary>The HW as last written to the replication-offset checkpoint (what a restart reads back).</summary>
    public long HighWatermarkCheckpoint { get; set; }

    /// <summary>Invariant bookkeeping: the batches read so far, up to <see cref="CachedEnd"/>.</summary>
    public List<BatchInfo> Batches { get; } = [];

    public long CachedEnd { get; set; } = -1;

    public long CheckedHighWatermark { get; set; }

    public int SeenLeaderEpoch { get; set; } = -1;

    public long SeenLeaderHighWatermark { get; set; } = -1;

    public int SeenEpoch { get; set; } = -1;

    public override string ToString() => $"{Topic}-{Index}@{Broker.Id}";
}

/// <summary>What identifies a stored batch: its offsets, the epoch it was written in, and its content (CRC, producer stamp).</summary>
internal readonly record struct BatchInfo(long BaseOffset, long LastOffset, int Epoch, uint Crc, long ProduceId)
{
    public override string ToString() => $"[{BaseOffset}..{LastOffset}] e{Epoch} #{ProduceId}";
}
