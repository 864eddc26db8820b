using System.Diagnostics;
using System.Net;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Transport;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Network;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// This node's member of the metadata quorum (a voter when process.roles has controller, an observer on a
/// broker-only node): the Raft node with its log in <c>__cluster_metadata-0</c> of the first log dir,
/// the CONTROLLER listener (served by the broker's network layer with the quorum's Kafka RPCs), the metadata store on top, broker registration, and, while this node
/// is the active controller, the controller's decisions (<see cref="ActiveController"/>). Without
/// controller.quorum.voters the quorum is this node alone, as a one-node KRaft cluster: it elects itself at start
/// and commits on its own fsync, with no listener and no peers to reach.
/// Exception policy: start-up config errors throw <see cref="ConfigException"/>; a quorum that is not reachable yet
/// is waited for (logged every few seconds), as Kafka's brokers wait for their controller; liveness failures are
/// logged and retried on the next tick.
/// </summary>
public sealed partial class QuorumHost : IAsyncDisposable
{
    public const string MetadataDirName = TopicNames.MetadataTopic + "-0";

    /// <summary>The voter ids this node's metadata log was written under, one line, e.g. "0,1,2".</summary>
    public const string VotersFileName = "quorum-voters";

    private readonly BrokerConfig _config;
    private readonly QuorumNode _node;
    private readonly TcpRaftTransport _transport;
    private readonly SocketServer? _server;
    private readonly FileRaftLog _log;
    private readonly ActiveController _controller;
    private readonly bool _logWasEmpty;
    private long _brokerEpoch = -1;

    private QuorumHost(BrokerConfig config, IReadOnlyList<QuorumVoter> voters, QuorumMetadataStore store, QuorumNode node, TcpRaftTransport transport, SocketServer? server, FileRaftLog log, bool logWasEmpty)
    {
        _config = config;
        Voters = voters;
        Store = store;
        _node = node;
        _transport = transport;
        _server = server;
        _log = log;
        _logWasEmpty = logWasEmpty;
        // Broker-only nodes fetch as observers: their fetches are their heartbeats as much as the voters' are.
        _controller = new ActiveController(config, store, () => node.Leader, () => [.. node.DescribeVoters(), .. node.DescribeObservers()]);
        node.LeaderProposalFilter = _controller.ExpandProposal;
        // A restarted broker's first fetch with its new registration's epoch can unfence it at once, not a tick later.
        node.BrokerEpochRaised += _controller.Wake;
    }

    /// <summary>
    /// The quorum's voters: controller.quorum.voters, or this node alone (no address) when that is empty on a
    /// combined node; empty on a broker-only node that found the quorum through bootstrap servers.
    /// </summary>
    public IReadOnlyList<QuorumVoter> Voters { get; }

    /// <summary>Whether this node votes (process.roles contains controller); false: a broker-only observer.</summary>
    public bool IsVoter => _node.IsVoter;

    public QuorumMetadataStore Store { get; }

    /// <summary>This broker's epoch from its registration (-1 before it registered): replica fetches and AlterPartition carry it.</summary>
    public long BrokerEpoch => Interlocked.Read(ref _brokerEpoch);

    public LeaderAndEpoch Leader => _node.Leader;

    /// <summary>The quorum as this node sees it, for DescribeQuorum: leader, epoch, high watermark, voters (on the leader).</summary>
    public QuorumStatus Describe() => _node.Describe();

    /// <summary>The voters the config names; this node alone, with no address, when controller.quorum.voters is empty.</summary>
    public static IReadOnlyList<QuorumVoter> VotersOf(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.QuorumVoters.Length > 0)
            return QuorumVoters.Parse(config.QuorumVoters);
        return config.IsControllerRole ? [new QuorumVoter(config.NodeId, "", 0)] : [];
    }

    /// <summary>
    /// Opens the metadata log and starts the Raft node and, when other voters must reach it, its listener; returns
    /// before a leader is known (a one-voter quorum leads as soon as its loop runs).
    /// </summary>
    public static QuorumHost Start(BrokerConfig config, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(config);
        ProcessRoles.Validate(config);
        var voter = config.IsControllerRole;
        var voters = VotersOf(config);
        // Only voters listen: observers fetch from the leader and nobody sends them anything.
        var listener = voter && config.QuorumVoters.Length > 0 ? config.ControllerListener : null;
        var dir = Path.Combine(config.LogDirs[0], MetadataDirName);
        Directory.CreateDirectory(dir);
        if (voter)
            CheckVoterSet(dir, voters);
        // Bootstrap servers get ids below -1 (as Kafka's), so they never collide with a node id or "none".
        var bootstrap = ProcessRoles.BootstrapServers(config).Select((s, i) => (Id: -2 - i, s.Host, s.Port)).ToList();
        // A voter's fetches are its broker heartbeats (BrokerLiveness): a held fetch may not wait longer than a
        // heartbeat interval, so a live broker's last fetch is never older than the liveness checks allow.
        var quorumConfig = new QuorumConfig(config.NodeId, [.. voters.Select(v => v.Id)], clusterId,
            config.QuorumElectionTimeoutMs, config.QuorumFetchTimeoutMs, config.QuorumRequestTimeoutMs,
            FetchMaxWaitMs: config.BrokerHeartbeatIntervalMs, Bootstrap: [.. bootstrap.Select(b => b.Id)],
            Endpoints: voters.Where(v => v.Port > 0).ToDictionary(v => v.Id, v => (v.Host.Contains(':', StringComparison.Ordinal) ? $"[{v.Host}]" : v.Host) + ":" + v.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var store = new QuorumMetadataStore(clusterId, config.NodeId);
        var log = FileRaftLog.Open(dir, config.MetadataLogSegmentBytes);
        var snapshots = FileSnapshotStore.Open(dir, m => Log.Info("metadata snapshot: " + m));
        var logWasEmpty = log.EndOffset == 0;
        var state = new FileQuorumStateStore(Path.Combine(dir, "quorum-state"));
        // A voter never sends to itself, so a quorum of one has no peer to address.
        var peers = voters.Where(v => v.Id != config.NodeId).ToDictionary(v => v.Id, v => new DnsEndPoint(v.Host, v.Port));
        foreach (var b in bootstrap)
            peers[b.Id] = new DnsEndPoint(b.Host, b.Port);
        var transport = new TcpRaftTransport(peers, config.QuorumRequestTimeoutMs, m => Log.Info("quorum: " + m), $"raft-client-{config.NodeId}");
        var node = new QuorumNode(quorumConfig, log, state, transport, store);
        node.AttachLargeEntryTrace(Log.Info);
        node.AttachSnapshots(snapshots, new SnapshotPolicy(config.MetadataMaxBytesBetweenSnapshots, config.MetadataMaxSnapshotIntervalMs), m => Log.Error("metadata snapshot: " + m));
        store.Attach(new NodeQuorum(node));
        QuorumHost? host = null;
        var server = listener is null ? null : new SocketServer([listener], config.SocketRequestMaxBytes, ControllerDispatcher(config, node, () => host!));
        try
        {
            server?.Start();
            node.Start();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            throw new IOException($"cannot start the metadata quorum on {listener}: {ex.Message}", ex);
        }
        host = new QuorumHost(config, voters, store, node, transport, server, log, logWasEmpty);
        return host;
    }

    /// <summary>
    /// What the CONTROLLER listener answers: ApiVersions, the quorum's RPCs and DescribeQuorum. Anything else (a
    /// Produce, a Metadata) is an unknown API there and closes the connection, as on Kafka's controller listener.
    /// </summary>
    private static RequestDispatcher ControllerDispatcher(BrokerConfig config, QuorumNode node, Func<QuorumHost> host)
    {
        var apiVersions = new ApiVersionsHandler { KRaftVersion = () => node.KRaftVersion };
        var dispatcher = new RequestDispatcher(
        [
            apiVersions,
            .. QuorumRpcHandlers.Create(config.NodeId, node, () => node.Leader),
            new DescribeQuorumHandler(config, host),
        ]);
        apiVersions.Attach(dispatcher);
        return dispatcher;
    }

    /// <summary>
    /// Refuses to join a quorum whose voter ids differ from those this node's log was written under. A static
    /// voter set cannot change safely: new voters with empty logs can form a majority, elect a leader among
    /// themselves and make this node truncate committed metadata (every topic would then be deleted here). Hosts
    /// and ports may change (pods move); the ids may not.
    /// </summary>
    public static void CheckVoterSet(string dir, IReadOnlyList<QuorumVoter> voters)
    {
        var path = Path.Combine(dir, VotersFileName);
        var ids = string.Join(',', voters.Select(v => v.Id).Order());
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path).Trim();
            if (stored != ids)
                throw new ConfigException($"Invalid value for configuration controller.quorum.voters: this node's metadata log ({dir}) belongs to a quorum of voters {stored}, but the voters are now {ids}; changing the voter set is not supported (it could lose committed metadata)");
            return;
        }
        AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(ids + "\n"));
    }

    /// <summary>
    /// Waits until this node has applied everything the quorum committed before now (a barrier record commits and
    /// is applied here), so the partition logs on disk are judged against current metadata, not an empty image;
    /// then imports the metadata file a single node kept before it ran as a quorum of one, if the log dir has one.
    /// The image counts as complete (partition logs it lacks are orphans) unless this node's log is the whole
    /// quorum and was empty at start without such a file: then the metadata may have been lost rather than never
    /// written, and the logs on disk are kept.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await RetryAsync(new BarrierRecord(_config.NodeId), "catching up with the metadata quorum", cancellationToken).ConfigureAwait(false);
        var imported = await LegacyMetadataImport.RunAsync(_config.LogDirs[0], Store, cancellationToken).ConfigureAwait(false);
        if (!IsVoter || Voters.Count > 1 || !_logWasEmpty || imported)
            Store.MarkCaughtUp();
    }

    /// <summary>Registers this broker (its advertised listeners and rack) and starts watching liveness while it leads.</summary>
    public async Task RegisterAsync(IReadOnlyList<Listener> advertised, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(advertised);
        var endpoints = advertised.Select(l => new EndpointRecord(l.Name, l.Host, l.Port)).ToList();
        var result = await RetryAsync(new RegisterBrokerRecord(_config.NodeId, endpoints, _config.Rack), "registering with the controller", cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _brokerEpoch, result.Value);
        // From here this node's quorum fetches are this registration's heartbeats; before, they were a restarted
        // process's, which must not keep alive (or unfence) the registration of the process that died.
        _node.SetBrokerEpoch(result.Value);
        Log.Info($"start-up: registered with broker epoch {result.Value}; waiting to be unfenced");
        _controller.Start();
        await WaitUsableAsync(result.Value, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A controller-only node registers nothing; it only decides while it leads the quorum.</summary>
    public void StartController() => _controller.Start();

    /// <summary>
    /// Waits, as Kafka's broker waits to be unfenced before it starts serving, until the image shows this broker
    /// registered with <paramref name="epoch"/> and unfenced, and no partition left without a leader that this broker
    /// could lead: a restarted broker registers fenced, and the controller moves its old leaderships, unfences it and
    /// elects it where it is in sync, so clients of a ready broker find its partitions led.
    /// </summary>
    private async Task WaitUsableAsync(long epoch, CancellationToken cancellationToken)
    {
        var since = Stopwatch.StartNew();
        var unfenced = 0;
        bool Usable(MetadataImage image)
        {
            if (!image.Brokers.TryGetValue(_config.NodeId, out var self) || self.Epoch != epoch || self.Fenced)
                return false;
            // Where the wait goes at 100,000 partitions: the controller's unfencing, or the elections after it.
            if (Interlocked.Exchange(ref unfenced, 1) == 0)
                Log.Info($"start-up: unfenced by the controller {since.ElapsedMilliseconds} ms after registering");
            return !image.TopicsById.Values.Any(t => t.Partitions.Any(p => p.Leader < 0 && Array.IndexOf(p.Isr, _config.NodeId) >= 0));
        }
        var usable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Only while this broker starts (it is not serving yet), so a walk of the image per commit is fine here.
        void OnChanged(MetadataImage image, MetadataDelta delta)
        {
            if (Usable(image))
                usable.TrySetResult();
        }
        Store.Changed += OnChanged;
        try
        {
            if (Usable(Store.Image))
                return;
            while (true)
            {
                try
                {
                    await usable.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (TimeoutException)
                {
                    Log.Info($"waiting {since.Elapsed.TotalSeconds:F0} s for the controller to unfence this broker and elect leaders for its in-sync replicas");
                }
            }
        }
        finally
        {
            Store.Changed -= OnChanged;
        }
    }

    private async Task<ApplyResult> RetryAsync(MetadataRecord record, string what, CancellationToken cancellationToken)
    {
        var since = Stopwatch.StartNew();
        var lastLog = 0L;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await Store.ProposeAsync(record, cancellationToken).ConfigureAwait(false);
            }
            catch (QuorumException ex)
            {
                if (since.ElapsedMilliseconds - lastLog >= 5000)
                {
                    lastLog = since.ElapsedMilliseconds;
                    var quorum = Voters.Count > 0 ? "a quorum of " + string.Join(',', Voters.Select(v => v.Id)) : "the quorum through " + _config.QuorumBootstrapServers;
                    Log.Info($"{what}: {ex.Message} (waiting {since.Elapsed.TotalSeconds:F0} s for {quorum})");
                }
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Controlled shutdown: fences this broker as shutting down, so the active controller moves its leaderships to
    /// in-sync followers and takes it out of the ISRs, and waits until the published metadata shows it leading
    /// nothing (clients and followers then go to the new leaders before this broker stops answering); then hands the
    /// quorum's leadership over if this node has it (EndQuorumEpoch), so the others elect a controller now rather
    /// than after their fetch timeout. Best effort: each step gets <paramref name="timeout"/> and a step that fails
    /// or runs out is logged, never thrown, because a quorum that cannot answer must not keep the broker from
    /// flushing its logs.
    /// </summary>
    public async Task ShutdownBrokerAsync(TimeSpan timeout)
    {
        if (_brokerEpoch >= 0)
        {
            using var fence = new CancellationTokenSource(timeout);
            Log.Info($"controlled shutdown: proposing this broker's fence t={Log.Micros()}");
            try
            {
                // The quorum leader commits the fence together with the controller's moves (one commit); a batch
                // decided on a state that changed meanwhile is refused whole, and proposing again decides anew.
                while ((await Store.ProposeAsync(new FenceBrokerRecord(_config.NodeId, _brokerEpoch, ShuttingDown: true), fence.Token).ConfigureAwait(false)).Error
                    is not Protocol.ErrorCode.None and var error)
                {
                    if (error == Protocol.ErrorCode.StaleBrokerEpoch || Store.Image.Brokers.GetValueOrDefault(_config.NodeId)?.ShuttingDown == true)
                        break;
                    await Task.Delay(10, fence.Token).ConfigureAwait(false);
                }
                await WaitLeadingNothingAsync(fence.Token).ConfigureAwait(false);
                Log.Info($"controlled shutdown: this broker leads no partition any more t={Log.Micros()}");
            }
            catch (Exception ex) when (ex is QuorumException or MetadataStoreException or OperationCanceledException)
            {
                var why = ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : ex.Message;
                Log.Info($"controlled shutdown: could not move this broker's leaderships first ({why})");
            }
        }
        // Its own deadline: the fence may have used all of the first, and the hand-over matters most exactly when
        // the quorum is struggling.
        using var resign = new CancellationTokenSource(timeout);
        try
        {
            if (await _node.ResignAsync().WaitAsync(resign.Token).ConfigureAwait(false))
                Log.Info("controlled shutdown: resigned as the active controller");
        }
        catch (OperationCanceledException)
        {
            Log.Info($"controlled shutdown: could not hand the controller role over within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Waits for a published image in which this broker leads nothing (a partition whose only in-sync replica is this one keeps no leader).</summary>
    private async Task WaitLeadingNothingAsync(CancellationToken cancellationToken)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Only during a controlled shutdown, so a walk of the image per commit is fine here.
        void OnChanged(MetadataImage image, MetadataDelta delta)
        {
            if (!image.LeadsAny(_config.NodeId))
                changed.TrySetResult();
        }
        Store.Changed += OnChanged;
        try
        {
            if (!Store.Image.LeadsAny(_config.NodeId))
                return;
            await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Store.Changed -= OnChanged;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _controller.DisposeAsync().ConfigureAwait(false);
        await _node.DisposeAsync().ConfigureAwait(false);
        if (_server is not null)
            await _server.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _log.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The broker's <see cref="IMetadataQuorum"/> over the Raft node.</summary>
    private sealed class NodeQuorum(QuorumNode node) : IMetadataQuorum
    {
        public LeaderAndEpoch Leader => node.Leader;

        public Task<long> ProposeAsync(byte[] payload, CancellationToken cancellationToken) => node.ProposeAsync(payload, cancellationToken);

        public IReadOnlyList<VoterState> DescribeVoters() => node.DescribeVoters();
    }
}
