using System.Threading.Channels;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum;

/// <summary>
/// A quorum member as the broker runs it: the deterministic <see cref="RaftClient"/> on one dedicated event-loop
/// thread. Everything that touches the core (inbound requests, responses, proposals, timers) is a work item on one
/// channel; between items the loop sleeps until the core's next deadline, on <see cref="TimeProvider"/>'s clock.
/// Listener callbacks run on that thread. Times handed to the core, and <see cref="VoterState.LastFetchMs"/>, are
/// the provider's wall clock in Unix milliseconds.
/// Exception policy: an exception from the core (a log or state-store I/O failure) is fatal for the node: the loop
/// stops, every waiting proposal fails with it, later proposals and requests fail with BrokerNotAvailable, and
/// <see cref="Fault"/> holds it. Proposals that cannot commit fail with <see cref="QuorumException"/>.
/// </summary>
public sealed partial class QuorumNode : IRaftRequestHandler, IAsyncDisposable
{
    private readonly QuorumConfig _config;
    private readonly IRaftLog _log;
    private readonly IRaftTransport _transport;
    private readonly TimeProvider _time;
    private readonly RaftClient _core;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Pending> _pending = [];
    private readonly Thread _thread;
    private volatile Snapshot _snapshot;
    private volatile bool _stopping;
    private int _started;

    public QuorumNode(QuorumConfig config, IRaftLog log, IQuorumStateStore state, IRaftTransport transport, IRaftListener listener, TimeProvider? time = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(listener);
        _config = config;
        _log = log;
        _transport = transport;
        _time = time ?? TimeProvider.System;
        var random = seed is { } s ? new Random(s) : new Random();
        _core = new RaftClient(config, log, state, transport, listener, random, item => _work.Writer.TryWrite(new Work(item, null)));
        _thread = new Thread(Run) { IsBackground = true, Name = $"quorum-{config.NodeId}" };
        _snapshot = new(new LeaderAndEpoch(-1, 0), 0, [], [], null, _core.VoterSet, _core.IsVoter);
    }

    public LeaderAndEpoch Leader => _snapshot.Leader;

    /// <summary>Entries below it are committed as far as this node knows.</summary>
    public long HighWatermark => _snapshot.HighWatermark;

    /// <summary>The exception that stopped the loop, if one did.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Starts the event loop (once); work posted before is handled then.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
            _thread.Start();
    }

    /// <summary>On the leader its view of every voter (itself with LastFetchMs now); empty elsewhere.</summary>
    public IReadOnlyList<VoterState> DescribeVoters() => _snapshot.Voters;

    /// <summary>On the leader the observers (non-voters) that fetched lately; empty elsewhere.</summary>
    public IReadOnlyList<VoterState> DescribeObservers() => _snapshot.Observers;

    /// <summary>Leader, high watermark and (on the leader) the voters, read together from one published snapshot.</summary>
    public QuorumStatus Describe()
    {
        var snapshot = _snapshot;
        return new QuorumStatus(snapshot.Leader, snapshot.HighWatermark, snapshot.Voters, snapshot.Observers) { VoterSet = snapshot.VoterSet };
    }

    /// <summary>
    /// Commits <paramref name="payload"/> through the leader, forwarding it when this node does not lead, and
    /// returns its offset once committed.
    /// </summary>
    public Task<long> ProposeAsync(byte[] payload, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (VotersRecord.IsControl(payload))
            throw new ArgumentException("empty payloads and payloads starting with the control prefix are reserved for the quorum's own entries", nameof(payload));
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (ct.CanBeCanceled)
        {
            var registration = ct.Register(() => done.TrySetCanceled(ct));
            _ = done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        void Complete(long offset, short error)
        {
            if (error == RaftErrors.None)
                done.TrySetResult(offset);
            else
                done.TrySetException(ProposalFailed(error));
        }
        if (!Post(now => ProposeOnLoop(payload, now, Complete), () => Complete(-1, RaftErrors.BrokerNotAvailable)))
            Complete(-1, RaftErrors.BrokerNotAvailable);
        return done.Task;
    }

    public Task<RaftResponse> HandleAsync(RaftRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var done = new TaskCompletionSource<RaftResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Refuse() => done.TrySetResult(RaftResponses.Error(request, RaftErrors.BrokerNotAvailable, Leader));
        var posted = Post(
            now =>
            {
                if (request is ProposeRequest { ClusterId: var cluster, Payload: { } payload } && cluster == _config.ClusterId && _core.IsLeader && VoterCommand.TryDecode(payload) is { } command)
                    HandleVoterCommandOnLoop(command, now, done);
                else if (request is ProposeRequest propose)
                    HandleProposeOnLoop(propose, now, done);
                else
                    _core.Handle(request, now, response => done.TrySetResult(response));
            },
            Refuse);
        if (!posted)
            Refuse();
        return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
    }

    /// <summary>
    /// Raised on the loop thread (keep it short) when, on the leader, a voter's or observer's fetch carried a newer
    /// broker epoch than before: a registration's first heartbeat, which the controller may act on at once.
    /// </summary>
    public event Action? BrokerEpochRaised;

    /// <summary>
    /// The broker epoch this node's fetches carry from now on (its registration's), so that the controller counts
    /// them as that registration's heartbeats.
    /// </summary>
    public void SetBrokerEpoch(long brokerEpoch) => Post(now => _core.SetBrokerEpoch(brokerEpoch, now));

    /// <summary>Hands leadership over (EndQuorumEpoch) if this node leads; true when it did.</summary>
    public Task<bool> ResignAsync()
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Post(now => done.TrySetResult(_core.Resign(now)), () => done.TrySetResult(false)))
            done.TrySetResult(false);
        return done.Task;
    }

    /// <summary>
    /// Stops the loop (after the work already posted), flushes the log and fails what is still waiting. Not to be
    /// called from a listener callback (it waits for the loop).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _stopping = true;
        _work.Writer.TryComplete();
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            Abandon();
            _stopped.TrySetResult();
        }
        await _stopped.Task.ConfigureAwait(false);
        await WaitSnapshotWorkAsync().ConfigureAwait(false);
    }

    private bool Post(Action<long> run, Action? abandon = null) => !_stopping && _work.Writer.TryWrite(new Work(run, abandon));

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static QuorumException ProposalFailed(short error) => error switch
    {
        RaftErrors.RequestTimedOut => new QuorumException(error, "the proposal was not committed within the request timeout"),
        RaftErrors.NotLeaderOrFollower => new QuorumException(error, "no leader could commit the proposal (none known, or leadership changed first)"),
        _ => new QuorumException(error, $"the proposal failed with error {error}"),
    };

    private void Run()
    {
        Task? readable = null;
        try
        {
            _core.Initialize(Now());
            while (true)
            {
                // Everything queued is one batch: the Poll after it flushes the log once for all of it (group commit).
                var handled = 0;
                while (handled < 10_000 && _work.Reader.TryRead(out var item))
                {
                    item.Run(Now());
                    handled++;
                }
                var now = Now();
                var deadline = _core.Poll(now);
                // Published before proposals complete, so a caller that sees its offset also sees the leader and
                // high watermark that committed it.
                Publish(now);
                if (_core.BrokerEpochRaised)
                {
                    // After the publish, so that the controller reads the fetch that raised it.
                    _core.BrokerEpochRaised = false;
                    BrokerEpochRaised?.Invoke();
                }
                deadline = Math.Min(deadline, CheckPending(now));
                if (_work.Reader.Completion.IsCompleted)
                    break;
                if (handled == 10_000)
                    continue;
                // One outstanding wait for work across iterations; a fresh delay for the deadline each time.
                readable ??= _work.Reader.WaitToReadAsync().AsTask();
                var wait = deadline - Now();
                if (wait > 0 && !readable.IsCompleted)
                {
                    using var cancel = new CancellationTokenSource();
                    var delay = Task.Delay(TimeSpan.FromMilliseconds(Math.Min(wait, int.MaxValue)), _time, cancel.Token);
                    Task.WaitAny(readable, delay);
                    cancel.Cancel();
                }
                if (readable.IsCompleted)
                    readable = null;
            }
            _core.Close();
            _log.Flush();
            FailAll(RaftErrors.NotLeaderOrFollower);
        }
#pragma warning disable CA1031 // the loop's one catch-all: any failure is fatal for the node, reported, not thrown on a thread
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fault = ex;
            _stopping = true;
            _work.Writer.TryComplete();
            FailAll(RaftErrors.BrokerNotAvailable);
            _core.Close();
            Abandon();
        }
        finally
        {
            _snapshot = _snapshot with { Leader = new LeaderAndEpoch(-1, _snapshot.Leader.Epoch), Voters = [], Observers = [] };
            _stopped.TrySetResult();
        }
    }

    private void Publish(long now) =>
        _snapshot = new Snapshot(_core.Leader, _core.HighWatermark, _core.DescribeVoters(now), _core.DescribeObservers(now), _core.LatestSnapshot, _core.VoterSet, _core.IsVoter);

    /// <summary>Fails, without running them, work items still queued once the loop cannot run them.</summary>
    private void Abandon()
    {
        while (_work.Reader.TryRead(out var item))
            item.Abandon?.Invoke();
    }

    /// <summary>A loop work item; <see cref="Abandon"/> answers its caller when the loop will never run it.</summary>
    private readonly record struct Work(Action<long> Run, Action? Abandon);

    private sealed record Snapshot(LeaderAndEpoch Leader, long HighWatermark, IReadOnlyList<VoterState> Voters, IReadOnlyList<VoterState> Observers, SnapshotId? LatestSnapshot, VotersRecord VoterSet, bool IsVoter);
}
