using System.Diagnostics;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Metrics;
using KafkaOperator.Server.Network;
using KafkaOperator.Server.Producers;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server;

/// <summary>
/// One broker process: config, cluster metadata, partition logs, request handlers and the socket server, wired
/// together. Used by Program and by tests (in-process, port 0, temp log dir).
/// <code>
/// await using var broker = await BrokerHost.StartAsync(BrokerConfig.Create(props));
/// var port = broker.Port;           // the bound port (ephemeral when listeners used port 0)
/// await broker.StopAsync();         // graceful: stop accepting, answer in-flight, flush, checkpoint
/// </code>
/// </summary>
public sealed class BrokerHost : IAsyncDisposable
{
    private static readonly TimeSpan ControlledShutdownTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ConnectionDrainTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StepSlack = TimeSpan.FromSeconds(1);

    private readonly SocketServer _server;
    private readonly QuorumHost _quorum;
    private readonly LogDirLock _dirLock;
    private readonly MetricsHost? _metrics;
    private int _stopped;

    private BrokerHost(BrokerConfig config, IMetadataStore metadata, BrokerServices services, SocketServer server, QuorumHost quorum, LogDirLock dirLock,
        MetricsHost? metrics)
    {
        _metrics = metrics;
        Config = config;
        Metadata = metadata;
        Services = services;
        _server = server;
        _quorum = quorum;
        _dirLock = dirLock;
    }

    public BrokerConfig Config { get; }

    public IMetadataStore Metadata { get; }

    public BrokerServices Services { get; }

    public string ClusterId => Metadata.ClusterId;

    public int NodeId => Config.NodeId;

    public IReadOnlyList<Listener> BoundListeners => _server.BoundListeners;

    /// <summary>Requests read from clients and not yet answered.</summary>
    public long InFlightRequests => _server.InFlight.Value;

    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>The bound port of the /metrics endpoint; -1 when metrics.port is -1.</summary>
    public int MetricsPort => _metrics?.Port ?? -1;

    /// <summary>The first listener's bound port.</summary>
    public int Port => _server.BoundListeners[0].Port;

    /// <summary>The first listener's advertised host (bound host when not advertised).</summary>
    public string Host => Services.AdvertisedListener.Host;

    /// <summary>Milliseconds from the start of <see cref="StartAsync"/> until the listeners accepted connections.</summary>
    public long StartupMs { get; private set; }

    /// <summary>
    /// Starts the broker. It first joins the metadata quorum (controller.quorum.voters, or itself alone) and catches
    /// up with the committed metadata (waiting for a quorum of voters, as Kafka does), then opens its logs and
    /// listeners, then registers: it is ready once the controller has unfenced it. Before anything reads or writes the log
    /// dirs it locks them (the quorum's log is in the first), so a second broker on them stops here.
    /// </summary>
    public static async Task<BrokerHost> StartAsync(BrokerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var clock = Stopwatch.StartNew();
        foreach (var dir in config.LogDirs)
            Directory.CreateDirectory(dir);
        var dirLock = LogDirLock.Acquire(config.LogDirs);
        try
        {
            var host = await StartLockedAsync(config, dirLock, cancellationToken).ConfigureAwait(false);
            host.StartupMs = clock.ElapsedMilliseconds;
            return host;
        }
        catch
        {
            dirLock.Dispose();
            throw;
        }
    }

    private static async Task<BrokerHost> StartLockedAsync(BrokerConfig config, LogDirLock dirLock, CancellationToken cancellationToken)
    {
        // A quorum's voters derive one id alike; a quorum of one generates its own (kept in meta.properties).
        var derivedId = config.QuorumVoters.Length > 0 ? QuorumVoters.DerivedClusterId(config.QuorumVoters) : null;
        var clusterId = MetaProperties.Ensure(config.LogDirs, config.NodeId, config.ConfiguredClusterId ?? derivedId);
        var clock = Stopwatch.StartNew();
        var quorum = QuorumHost.Start(config, clusterId);
        try
        {
            await quorum.CatchUpAsync(cancellationToken).ConfigureAwait(false);
            // Start-up steps with their times: where a slow start (10,000 partitions) spends them.
            Log.Info($"start-up: caught up with the metadata quorum after {clock.ElapsedMilliseconds} ms");
        }
        catch
        {
            await quorum.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var metadata = quorum.Store;
        var services = new BrokerServices(config, metadata, new ProducerIdManager(metadata)) { Quorum = quorum };
        var dispatcher = services.CreateDispatcher();
        var server = new SocketServer(config, dispatcher);
        services.Stopping = server.Stopping;
        MetricsHost? metrics = null;
        try
        {
            metrics = MetricsHost.Start(config, services, dispatcher, quorum);
            // On a thread of its own: opening thousands of logs blocks for seconds, and a pool thread held that long
            // (of two on a 2-CPU machine) delays the quorum's fetches, which are this broker's heartbeats.
            await Task.Factory.StartNew(services.Start, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            Log.Info($"start-up: {services.Replicas.Hosted.Count()} replica(s) opened after {clock.ElapsedMilliseconds} ms");
            server.Start();
            services.SetBoundListeners(server.BoundListeners);
            if (config.IsBrokerRole)
                await quorum.RegisterAsync([services.AdvertisedListener], cancellationToken).ConfigureAwait(false);
            else
                quorum.StartController();
            services.Replicas.Refresh(); // leaderships wait for the registration (ReplicaManager.LocalView)
            Log.Info($"start-up: registered and usable after {clock.ElapsedMilliseconds} ms");
        }
        catch
        {
            if (metrics is not null)
                await metrics.DisposeAsync().ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
            services.Dispose();
            await quorum.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new BrokerHost(config, metadata, services, server, quorum, dirLock, metrics);
    }

    /// <summary>
    /// Stops accepting, answers in-flight requests (long polls return early), flushes logs, writes checkpoints.
    /// Every step before the flush is bounded and its failure logged, so nothing (a quorum that cannot answer, a
    /// connection that will not close) keeps the logs from being flushed and checkpointed; only a failure of the
    /// flush itself is thrown, after the quorum is closed too.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        _metrics?.MarkShuttingDown();
        try
        {
            await BoundedAsync("controlled shutdown", () => _quorum.ShutdownBrokerAsync(ControlledShutdownTimeout), 2 * ControlledShutdownTimeout + StepSlack).ConfigureAwait(false);
            await BoundedAsync("releasing group waiters", () => { Services.Groups.ReleaseWaiters(); return Task.CompletedTask; }, StepSlack).ConfigureAwait(false);
            await BoundedAsync("closing connections", () => _server.StopAsync(ConnectionDrainTimeout), ConnectionDrainTimeout + StepSlack).ConfigureAwait(false);
            await BoundedAsync("stopping replica fetchers", Services.StopReplicationAsync, ConnectionDrainTimeout).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await BoundedAsync("stopping the metrics endpoint", () => _metrics?.DisposeAsync().AsTask() ?? Task.CompletedTask, StepSlack).ConfigureAwait(false);
                Services.Dispose(); // flushes the partition logs and writes the checkpoints
            }
            finally
            {
                try
                {
                    await BoundedAsync("closing the metadata quorum", () => _quorum.DisposeAsync().AsTask(), ConnectionDrainTimeout).ConfigureAwait(false);
                }
                finally
                {
                    // Last: until the logs are closed, the directories are still this broker's.
                    _dirLock.Dispose();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task BoundedAsync(string step, Func<Task> run, TimeSpan bound)
    {
        try
        {
            await run().WaitAsync(bound).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.Warn($"shutdown: {step} did not finish within {bound.TotalSeconds:0.#} s; going on without it");
        }
        catch (Exception ex)
        {
            Log.Warn($"shutdown: {step} failed ({ex.GetType().Name}: {ex.Message}); going on without it");
        }
    }
}
