using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Simulation;

/// <summary>
/// One simulated quorum member. Its log and quorum-state outlive a crash (the log minus whatever was not flushed);
/// the core, its timers and what it delivered start over, as a restarted process would.
/// </summary>
internal sealed class SimNode(Simulator sim, QuorumConfig config) : IRaftListener, IRaftTransport
{
    public int Id => Config.NodeId;

    public QuorumConfig Config { get; } = config;

    public MemoryRaftLog Log { get; } = new();

    public MemoryQuorumStateStore Store { get; } = new();

    public RaftClient Core { get; private set; } = null!;

    public bool Alive { get; set; }

    public int Incarnation { get; set; }

    public long TimerAt { get; set; }

    public List<long> Delivered { get; } = [];

    public long LastDelivered { get; set; } = -1;

    public int LeaderEpoch { get; set; } = -1;

    public long LeaderHighWatermark { get; set; }

    public List<LeaderAndEpoch> LeaderChanges { get; } = [];

    public void Restart(int seed)
    {
        Incarnation++;
        Alive = true;
        TimerAt = 0;
        Delivered.Clear();
        LastDelivered = -1;
        LeaderEpoch = -1;
        Core = new RaftClient(Config, Log, Store, this, this, new Random(seed), action => action(sim.Now));
    }

    public void OnCommitted(IReadOnlyList<RaftEntry> entries) => sim.OnDelivered(this, entries);

    public void OnLeaderChange(LeaderAndEpoch leader) => LeaderChanges.Add(leader);

    public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => sim.Send(this, destinationId, request, onResponse);
}
