namespace KafkaOperator.Quorum;

/// <summary>The leader as a node knows it: LeaderId -1 while unknown (an election is on).</summary>
public readonly record struct LeaderAndEpoch(int LeaderId, int Epoch);

/// <summary>
/// The leader's view of one voter or observer: how far its log is known to reach, and when it last fetched (-1: never).
/// <paramref name="BrokerEpoch"/> is the highest broker epoch its fetches carried this term (-1: none; a node sends
/// its registration's epoch once registered) and <paramref name="BrokerEpochFetchMs"/> when a fetch last carried it:
/// the controller counts a registration alive only on fetches from the process that registered it, not on those of a
/// restarted process that has not registered again yet.
/// </summary>
public sealed record VoterState(int Id, long EndOffset, long LastFetchMs, long BrokerEpoch = -1, long BrokerEpochFetchMs = -1);

/// <summary>
/// A node's view of the quorum at one moment: the leader, the high watermark, and on the leader every voter and the
/// observers that fetched lately (both empty elsewhere).
/// </summary>
public sealed record QuorumStatus(LeaderAndEpoch Leader, long HighWatermark, IReadOnlyList<VoterState> Voters, IReadOnlyList<VoterState>? Observers = null)
{
    public IReadOnlyList<VoterState> Observers { get; init; } = Observers ?? [];

    /// <summary>The latest voter set of this node's log (with the voters' addresses and kraft.version); null when unknown.</summary>
    public KafkaOperator.Quorum.Voters.VotersRecord? VoterSet { get; init; }
}

/// <summary>
/// What the state machine above the quorum (the metadata store) is told, on the quorum's event loop, in order.
/// Keep both calls short: they run on the loop.
/// </summary>
public interface IRaftListener
{
    /// <summary>
    /// Entries that became committed, ascending, each delivered once per process from offset 0 after a start
    /// (a restarted node replays its log as the high watermark reaches it). The quorum's own control entries
    /// (empty payload) are not delivered.
    /// </summary>
    void OnCommitted(IReadOnlyList<RaftEntry> entries);

    void OnLeaderChange(LeaderAndEpoch leader);
}

/// <summary>A proposal that could not be committed: no leader, the leader changed first, or it timed out. Offset unknown.</summary>
public sealed class QuorumException(short errorCode, string message) : Exception(message)
{
    public short ErrorCode { get; } = errorCode;
}
