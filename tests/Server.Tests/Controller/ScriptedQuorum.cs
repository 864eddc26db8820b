using KafkaOperator.Quorum;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Controller;

/// <summary>
/// A quorum of one that commits every proposal at once and hands it to the store, as the Raft node's loop would;
/// <see cref="Entries"/> is the committed log, so a second store can replay it.
/// </summary>
internal sealed class ScriptedQuorum(IRaftListener listener) : IMetadataQuorum
{
    private readonly Lock _lock = new();

    public List<RaftEntry> Entries { get; } = [];

    public LeaderAndEpoch Leader { get; set; } = new(0, 1);

    public List<VoterState> Voters { get; } = [];

    /// <summary>When set, proposals fail as they would with no controller.</summary>
    public bool Unavailable { get; set; }

    public Task<long> ProposeAsync(byte[] payload, CancellationToken cancellationToken)
    {
        if (Unavailable)
            throw new QuorumException(RaftErrors.NotLeaderOrFollower, "no leader");
        RaftEntry entry;
        lock (_lock)
        {
            entry = new RaftEntry(Entries.Count, Leader.Epoch, payload);
            Entries.Add(entry);
            if (_held is { } held)
            {
                var committed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                held.Add((entry, committed));
                return committed.Task;
            }
            listener.OnCommitted([entry]);
        }
        return Task.FromResult(entry.Offset);
    }

    private List<(RaftEntry Entry, TaskCompletionSource<long> Committed)>? _held;

    /// <summary>From now on proposals are appended but not committed until <see cref="Release"/> commits them as one batch.</summary>
    public void Hold()
    {
        lock (_lock)
            _held ??= [];
    }

    /// <summary>Proposals appended and not yet committed (see <see cref="Hold"/>).</summary>
    public int HeldCount
    {
        get
        {
            lock (_lock)
                return _held?.Count ?? 0;
        }
    }

    /// <summary>Commits the held proposals in one batch, as a quorum leader commits what was appended since its last commit.</summary>
    public void Release()
    {
        List<(RaftEntry Entry, TaskCompletionSource<long> Committed)>? held;
        lock (_lock)
        {
            held = _held;
            _held = null;
            if (held is { Count: > 0 })
                listener.OnCommitted([.. held.Select(h => h.Entry)]);
        }
        foreach (var (entry, committed) in held ?? [])
            committed.TrySetResult(entry.Offset);
    }

    public IReadOnlyList<VoterState> DescribeVoters() => Voters;

    public static (QuorumMetadataStore Store, ScriptedQuorum Quorum) Create(int nodeId = 0)
    {
        var store = new QuorumMetadataStore("test-cluster", nodeId);
        var quorum = new ScriptedQuorum(store);
        store.Attach(quorum);
        return (store, quorum);
    }
}
