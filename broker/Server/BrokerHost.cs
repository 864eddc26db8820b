using System.Diagnostics;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Network;
using KafkaOperator.Server.Producers;

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
    private readonly SocketServer _server;
    private int _stopped;

    private BrokerHost(BrokerConfig config, FileMetadataStore metadata, BrokerServices services, SocketServer server)
    {
        Config = config;
        Metadata = metadata;
        Services = services;
        _server = server;
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

    /// <summary>The first listener's bound port.</summary>
    public int Port => _server.BoundListeners[0].Port;

    /// <summary>The first listener's advertised host (bound host when not advertised).</summary>
    public string Host => Services.AdvertisedListener.Host;

    /// <summary>Milliseconds from the start of <see cref="StartAsync"/> until the listeners accepted connections.</summary>
    public long StartupMs { get; private set; }

    public static Task<BrokerHost> StartAsync(BrokerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var clock = Stopwatch.StartNew();
        foreach (var dir in config.LogDirs)
            Directory.CreateDirectory(dir);
        var clusterId = MetaProperties.Ensure(config.LogDirs, config.NodeId);
        var metadata = FileMetadataStore.Open(config.LogDirs[0], clusterId, config.NodeId);
        var services = new BrokerServices(config, metadata, new ProducerIdManager(metadata));
        var dispatcher = services.CreateDispatcher();
        var server = new SocketServer(config, dispatcher);
        services.Stopping = server.Stopping;
        try
        {
            services.Start();
            server.Start();
        }
        catch
        {
            services.Dispose();
            throw;
        }
        services.SetBoundListeners(server.BoundListeners);
        var host = new BrokerHost(config, metadata, services, server) { StartupMs = clock.ElapsedMilliseconds };
        return Task.FromResult(host);
    }

    /// <summary>Stops accepting, answers in-flight requests (long polls return early), flushes logs, writes checkpoints.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        Services.Groups.ReleaseWaiters();
        await _server.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        Services.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }
}
