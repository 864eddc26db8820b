using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Handlers;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// The broker's instruments (System.Diagnostics.Metrics) and their exporter (OpenTelemetry's Prometheus exporter).
/// Almost everything is an observable instrument computed at scrape time from the broker's own state (replica
/// manager, metadata image, quorum, group coordinator) or from the plain counters the handlers keep
/// (<see cref="TopicStats"/>, <see cref="RequestStats"/>, <see cref="ReplicaStats"/>); only request latency is
/// recorded per request. Names follow Kafka's JMX names as Strimzi's JMX exporter rules turn them into Prometheus
/// names, and Kafka Exporter's for consumer lag, so existing dashboards and alerts query them unchanged.
/// The exporter serves on a loopback port of its own; <see cref="MetricsEndpoint"/> is what clients reach.
/// </summary>
public sealed partial class BrokerMetrics : IDisposable
{
    // OpenTelemetry keeps a fixed-size table per metric; these hold one series per partition replica or per group
    // and partition, so they get room for 20,000 (a broker of the 10,000-partition benchmark holds 10,000).
    private const int PerPartitionLimit = 20_000;
    private static readonly string[] PerPartitionMetrics =
    [
        "kafka_log_log_size", "kafka_log_log_logendoffset", "kafka_log_log_logstartoffset",
        "kafka_partition_current_offset", "kafka_partition_oldest_offset",
        "kafka_consumergroup_current_offset", "kafka_consumergroup_lag",
    ];

    private static readonly double[] LatencyBucketsMs = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

    private readonly BrokerServices _services;
    private readonly RequestStats _requests;
    private readonly QuorumHost? _quorum;
    private readonly Meter _meter;
    private readonly MeterProvider _provider;
    private readonly Func<bool> _shuttingDown;
    private readonly Replication.RemoteEndOffsets? _remoteEnds;

    /// <param name="remoteEnds">High watermarks of partitions this broker holds no replica of, for consumer lag; the caller owns it.</param>
    public BrokerMetrics(BrokerServices services, RequestDispatcher dispatcher, QuorumHost? quorum, Func<bool> shuttingDown,
        Replication.RemoteEndOffsets? remoteEnds = null)
    {
        _shuttingDown = shuttingDown;
        _remoteEnds = remoteEnds;
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dispatcher);
        _services = services;
        _requests = dispatcher.Stats;
        _quorum = quorum;
        // A meter of its own per broker: tests run several brokers in one process, and each exporter must see only
        // its broker's instruments. The name never shows (scope labels are off).
        var meterName = "KafkaOperator.Broker." + Guid.NewGuid().ToString("N");
        _meter = new Meter(meterName);
        CreateInstruments();
        CreateHotKeyInstruments();
        (_provider, ExporterPort) = StartExporter(meterName);
        _requests.TotalTimeMs = _meter.CreateHistogram<double>("kafka_network_requestmetrics_totaltimems", description: "Request total time in milliseconds, from read to response written, per API");
    }

    /// <summary>The exporter's own loopback port, reached through <see cref="MetricsEndpoint"/>.</summary>
    public int ExporterPort { get; }

    public void Dispose()
    {
        _requests.TotalTimeMs = null;
        _provider.Dispose();
        _meter.Dispose();
    }

    private static (MeterProvider Provider, int Port) StartExporter(string meterName)
    {
        // HttpListener cannot bind port 0: take a free port and retry if another process got it first.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            try
            {
                var builder = Sdk.CreateMeterProviderBuilder().AddMeter(meterName);
                foreach (var name in PerPartitionMetrics)
                    builder.AddView(name, new MetricStreamConfiguration { CardinalityLimit = PerPartitionLimit });
                builder.AddView("kafka_network_requestmetrics_totaltimems", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBucketsMs });
                var provider = builder.AddPrometheusHttpListener(o =>
                {
                    o.Host = "127.0.0.1";
                    o.Port = port;
                    o.ScrapeEndpointPath = MetricsEndpoint.Path;
                    o.ScopeInfoEnabled = false; // no otel_scope_* labels: the names alone are Kafka's
                    o.TargetInfoEnabled = false;
                    o.TranslationStrategy = PrometheusHttpListenerTranslationStrategy.UnderscoreEscapingWithSuffixes;
                }).Build();
                return (provider, port);
            }
            catch (Exception ex) when (attempt < 5 && ex is HttpListenerException or SocketException or InvalidOperationException)
            {
                Log.Debug($"metrics exporter could not listen on 127.0.0.1:{port} ({ex.Message}); trying another port");
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
