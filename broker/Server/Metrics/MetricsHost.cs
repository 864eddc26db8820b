using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Replication;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// The /metrics port and the instruments behind it. The port is bound during start-up (a port in use stops the
/// broker, as a listener's does); the exporter starts in the background, since OpenTelemetry's set-up takes a few
/// hundred milliseconds that the broker's time to ready should not include. Scrapes before it is ready wait for it.
/// </summary>
public sealed class MetricsHost : IAsyncDisposable
{
    private readonly MetricsEndpoint _endpoint;
    private readonly Task<BrokerMetrics> _metrics;
    private readonly RemoteEndOffsets _remoteEnds;
    private volatile bool _shuttingDown;

    private MetricsHost(BrokerConfig config, BrokerServices services, RequestDispatcher dispatcher, QuorumHost? quorum)
    {
        _remoteEnds = new RemoteEndOffsets(config, services.Metadata, id => services.FindBroker(services.Metadata.Image, id));
        _remoteEnds.Start();
        _metrics = Task.Run(() => new BrokerMetrics(services, dispatcher, quorum, () => _shuttingDown, _remoteEnds));
        try
        {
            _endpoint = MetricsEndpoint.Start(config, _metrics.ContinueWith(t => t.Result.ExporterPort, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default),
                () => _metrics.IsCompletedSuccessfully ? _metrics.Result.NotReadyReason() : "starting");
            _endpoint.TopicSkew = topic => HotKeys.TopicSkewReport.Json(services, topic);
        }
        catch
        {
            _metrics.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            _ = _remoteEnds.DisposeAsync().AsTask();
            throw;
        }
    }

    /// <summary>The bound port (the ephemeral one when metrics.port is 0).</summary>
    public int Port => _endpoint.Port;

    /// <summary>Null when metrics.port is -1; throws <see cref="ConfigException"/> when the port cannot be bound.</summary>
    public static MetricsHost? Start(BrokerConfig config, BrokerServices services, RequestDispatcher dispatcher, QuorumHost? quorum)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.MetricsPort < 0 ? null : new MetricsHost(config, services, dispatcher, quorum);
    }

    /// <summary>From the start of a clean stop the broker reports PENDING_CONTROLLED_SHUTDOWN.</summary>
    public void MarkShuttingDown() => _shuttingDown = true;

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync().ConfigureAwait(false);
        try
        {
            (await _metrics.ConfigureAwait(false)).Dispose();
        }
        catch (Exception ex)
        {
            Log.Warn($"metrics exporter: {ex.Message}");
        }
        await _remoteEnds.DisposeAsync().ConfigureAwait(false);
    }
}
