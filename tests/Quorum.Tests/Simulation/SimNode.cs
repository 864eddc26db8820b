using System.Buffers.Binary;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum.Tests.Simulation;

/// <summary>
/// One simulated quorum member. Its log, quorum-state and snapshots outlive a crash (the log minus whatever was not
/// flushed); the core, its timers and what it delivered start over, as a restarted process would. Its state
/// machine is the sequence of entries delivered; its snapshots hold that sequence's length, last offset and hash.
/// </summary>
internal sealed class SimNode(Simulator sim, QuorumConfig config, SnapshotPolicy? snapshots) : IRaftSnapshotListener, IRaftTransport
{
    public int Id => Config.NodeId;

    public QuorumConfig Config { get; } = config;

    public MemoryRaftLog Log { get; } = new();

    public MemoryQuorumStateStore Store { get; } = new();

    public MemorySnapshotStore Snapshots { get; } = new();

    public RaftClient Core { get; private set; } = null!;

    public bool Alive { get; set; }

    public int Incarnation { get; set; }

    public long TimerAt { get; set; }

    public List<long> Delivered { get; } = [];

    public long LastDelivered { get; set; } = -1;

    public int LeaderEpoch { get; set; } = -1;

    public long LeaderHighWatermark { get; set; }

    /// <summary>The offset of the voter change this node appended as leader and has not yet seen committed, -1 when none.</summary>
    public long VoterChangeAt { get; set; } = -1;

    public int VoterChangeEpoch { get; set; }

    public List<LeaderAndEpoch> LeaderChanges { get; } = [];

    /// <summary>Snapshots this node loaded at a restart, and installed from the leader while running.</summary>
    public int RestartsFromSnapshot { get; private set; }

    public int SnapshotsInstalled { get; private set; }

    public bool Starting { get; set; }

    public void Restart(int seed)
    {
        Incarnation++;
        Alive = true;
        TimerAt = 0;
        Delivered.Clear();
        Hash = 0;
        LastDelivered = -1;
        LeaderEpoch = -1;
        VoterChangeAt = -1;
        Core = new RaftClient(Config, Log, Store, this, this, new Random(seed), action => action(sim.Now));
        if (snapshots is not null)
            Core.AttachSnapshots(Snapshots, snapshots, work => work(), _ => { });
    }

    public void OnCommitted(IReadOnlyList<RaftEntry> entries) => sim.OnDelivered(this, entries);

    public void OnLeaderChange(LeaderAndEpoch leader) => LeaderChanges.Add(leader);

    public void OnSnapshotLoaded(SnapshotId id, byte[] data)
    {
        if (Starting)
            RestartsFromSnapshot++;
        else
            SnapshotsInstalled++;
        var count = BinaryPrimitives.ReadInt32BigEndian(data);
        var last = BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(4));
        var hash = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(12));
        Assert.True(last < id.EndOffset, $"node {Id}: snapshot {id} holds entry {last}");
        Assert.True(id.EndOffset > LastDelivered, $"node {Id}: snapshot {id} loaded after delivering {LastDelivered}");
        // The snapshot replaces the state: it must be the committed sequence's prefix of its length.
        sim.CheckSnapshot(this, count, last, hash);
    }

    public Func<byte[]> CaptureSnapshot()
    {
        var data = new byte[20];
        BinaryPrimitives.WriteInt32BigEndian(data, Delivered.Count);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(4), LastDelivered);
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(12), Hash);
        return () => data;
    }

    /// <summary>A running hash of the delivered entries (offset, epoch, payload), what a snapshot carries instead of the entries.</summary>
    public ulong Hash { get; set; }

    public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => sim.Send(this, destinationId, request, onResponse);
}
