using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Core;

/// <summary>A core with a transport that only records what it sends, so a test plays the other voters by hand.</summary>
internal sealed class Harness : IRaftTransport, IRaftListener
{
    public Harness(int id, IReadOnlyList<int> voters, int seed = 1)
        : this(new QuorumConfig(id, voters, "c", ElectionTimeoutMs: 100, FetchTimeoutMs: 200, RequestTimeoutMs: 100), seed)
    {
    }

    public Harness(QuorumConfig config, int seed = 1)
    {
        Config = config;
        Core = new RaftClient(Config, Log, Store, this, this, new Random(seed), action => action(Now));
    }

    /// <summary>Addresses the core handed its transport (an observer told where the leader is).</summary>
    public List<(int Id, string Endpoint)> Learned { get; } = [];

    public void Learn(int id, string endpoint) => Learned.Add((id, endpoint));

    public QuorumConfig Config { get; }

    public MemoryRaftLog Log { get; } = new();

    public MemoryQuorumStateStore Store { get; } = new();

    public RaftClient Core { get; }

    public long Now { get; set; }

    public List<(int To, RaftRequest Request, Action<RaftResponse?> Reply)> Sent { get; } = [];

    public List<RaftEntry> Committed { get; } = [];

    public List<LeaderAndEpoch> LeaderChanges { get; } = [];

    public void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse) => Sent.Add((destinationId, request, onResponse));

    public void OnCommitted(IReadOnlyList<RaftEntry> entries) => Committed.AddRange(entries);

    public void OnLeaderChange(LeaderAndEpoch leader) => LeaderChanges.Add(leader);

    public List<(int To, T Request, Action<RaftResponse?> Reply)> Take<T>()
        where T : RaftRequest
    {
        var taken = Sent.Where(s => s.Request is T).Select(s => (s.To, (T)s.Request, s.Reply)).ToList();
        Sent.RemoveAll(s => s.Request is T);
        return taken;
    }

    /// <summary>The pre-vote requests sent (taken out of <see cref="Sent"/>); real vote requests stay.</summary>
    public List<(int To, VoteRequest Request, Action<RaftResponse?> Reply)> TakePreVotes()
    {
        var taken = Sent.Where(s => s.Request is VoteRequest { PreVote: true }).Select(s => (s.To, (VoteRequest)s.Request, s.Reply)).ToList();
        Sent.RemoveAll(s => s.Request is VoteRequest { PreVote: true });
        return taken;
    }

    /// <summary>
    /// Polls until the core stands for election (the randomized timeout is at most twice the configured one),
    /// granting the pre-votes it asks for on the way.
    /// </summary>
    public void ElapseUntilCandidate()
    {
        for (var i = 0; i < 1000 && Core.Role != "Candidate"; i++)
        {
            Now += 5;
            Core.Poll(Now);
            foreach (var (_, request, reply) in TakePreVotes())
                reply(new VoteResponse(RaftErrors.None, -1, request.CandidateEpoch, true));
        }
        Assert.Equal("Candidate", Core.Role);
    }

    public void BecomeLeader()
    {
        ElapseUntilCandidate();
        foreach (var (_, request, reply) in Take<VoteRequest>())
            reply(new VoteResponse(RaftErrors.None, -1, request.CandidateEpoch, true));
        Assert.True(Core.IsLeader);
        Core.Poll(Now);
    }
}
