namespace KafkaOperator.Quorum;

// The Raft RPCs, in the shape of Kafka's KRaft messages (Vote, BeginQuorumEpoch, EndQuorumEpoch and the Fetch of
// the metadata partition) but free of the wire: the quorum core speaks these records, and the server maps them to
// and from Kafka protocol frames. Error codes are Kafka's (see RaftErrors).

/// <summary>One entry of the replicated metadata log: an opaque payload appended in a leader epoch.</summary>
public sealed record RaftEntry(long Offset, int Epoch, byte[] Payload);

public abstract record RaftRequest(string ClusterId);

public abstract record RaftResponse(short ErrorCode);

/// <summary>
/// A candidate asks for a vote. LastOffset is the candidate's log end offset (exclusive). With PreVote (KIP-996) a
/// prospective candidate asks, in its current epoch, whether it would get the vote; nothing is recorded.
/// </summary>
public sealed record VoteRequest(string ClusterId, int CandidateEpoch, int CandidateId, int LastOffsetEpoch, long LastOffset, bool PreVote)
    : RaftRequest(ClusterId);

public sealed record VoteResponse(short ErrorCode, int LeaderId, int LeaderEpoch, bool VoteGranted) : RaftResponse(ErrorCode);

/// <summary>A new leader tells a voter it has been elected.</summary>
public sealed record BeginQuorumEpochRequest(string ClusterId, int LeaderId, int LeaderEpoch) : RaftRequest(ClusterId);

public sealed record BeginQuorumEpochResponse(short ErrorCode, int LeaderId, int LeaderEpoch) : RaftResponse(ErrorCode);

/// <summary>A resigning leader tells voters to start an election now; PreferredSuccessors is ordered best first.</summary>
public sealed record EndQuorumEpochRequest(string ClusterId, int LeaderId, int LeaderEpoch, IReadOnlyList<int> PreferredSuccessors)
    : RaftRequest(ClusterId);

public sealed record EndQuorumEpochResponse(short ErrorCode, int LeaderId, int LeaderEpoch) : RaftResponse(ErrorCode);

/// <summary>
/// A follower (a voter, or an observer: a node id not among the voters) pulls from the leader. FetchOffset is the follower's log
/// end offset; LastFetchedEpoch is the epoch of the entry just before it, so the leader can detect divergence.
/// With nothing new for it the leader holds the fetch up to MaxWaitMs (0: answer at once); HighWatermark is the
/// high watermark the follower knows, so a higher one on the leader is news that is answered at once (as Kafka's
/// KIP-1166 adds to Fetch). BrokerEpoch is the sender's broker registration epoch (-1 before it registers), which the
/// leader's controller takes as that registration's heartbeat (Fetch's ReplicaState.ReplicaEpoch on the wire).
/// </summary>
public sealed record FetchRequest(
    string ClusterId,
    int ReplicaId,
    int ReplicaEpoch,
    long FetchOffset,
    int LastFetchedEpoch,
    int MaxBytes,
    int MaxWaitMs = 0,
    long HighWatermark = -1,
    long BrokerEpoch = -1)
    : RaftRequest(ClusterId);

/// <summary>
/// The leader's answer. When the follower's log diverges, DivergingEpoch/DivergingEndOffset say where to truncate
/// (Entries is then empty). HighWatermark is -1 while unknown. LeaderEndpoint is the leader's quorum address
/// ("host:port") when the answering voter knows it, so an observer that found the quorum through bootstrap servers
/// can reach the leader (Kafka's NodeEndpoints). Snapshot, when set, is the leader's latest snapshot: the follower's
/// fetch offset is below the leader's log start, so it must fetch that snapshot first (KIP-630).
/// </summary>
public sealed record FetchResponse(
    short ErrorCode,
    int LeaderId,
    int LeaderEpoch,
    long HighWatermark,
    long LogStartOffset,
    int DivergingEpoch,
    long DivergingEndOffset,
    IReadOnlyList<RaftEntry> Entries,
    string? LeaderEndpoint = null,
    Snapshots.SnapshotId? Snapshot = null) : RaftResponse(ErrorCode);

/// <summary>Kafka's error codes that the quorum uses.</summary>
public static class RaftErrors
{
    public const short None = 0;
    public const short NotLeaderOrFollower = 6;
    public const short BrokerNotAvailable = 8;
    public const short RequestTimedOut = 7;
    public const short UnsupportedVersion = 35;
    public const short InvalidRequest = 42;
    public const short FencedLeaderEpoch = 74;
    public const short UnknownLeaderEpoch = 75;
    public const short InconsistentVoterSet = 94;
    public const short InvalidUpdateVersion = 95;
    public const short SnapshotNotFound = 98;
    public const short PositionOutOfRange = 99;
    public const short InconsistentClusterId = 104;
    public const short DuplicateVoter = 126;
    public const short VoterNotFound = 127;
}

/// <summary>
/// A non-leader forwards a proposal to the leader it knows (as a broker forwards admin writes to the active
/// controller). The leader appends it and answers once it is committed, with the entry's offset.
/// </summary>
public sealed record ProposeRequest(string ClusterId, byte[] Payload) : RaftRequest(ClusterId);

/// <summary>Offset is the committed entry's offset, or -1 with NotLeaderOrFollower / RequestTimedOut.</summary>
public sealed record ProposeResponse(short ErrorCode, int LeaderId, int LeaderEpoch, long Offset) : RaftResponse(ErrorCode);
