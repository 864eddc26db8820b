using System.Net;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Kube.Events;
using KafkaOperator.Kube.Leader;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Metrics;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Queue;
using KafkaOperator.Operator.Reconcilers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Hosting;

/// <summary>
/// The operator process: Kestrel serving /metrics, /healthz and /readyz, and — while this replica holds the leader
/// Lease (or always, without leader election) — the KafkaCluster and KafkaTopic controllers.
/// </summary>
public sealed class OperatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private volatile bool _ready;
    private int _disposed;

    private OperatorHost(WebApplication app, OperatorMetrics metrics)
    {
        _app = app;
        Metrics = metrics;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaOperator");
    }

    public OperatorMetrics Metrics { get; }

    /// <summary>Where /metrics, /healthz and /readyz are served.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Ends when the host is stopped or leadership is lost (then the process should exit and restart).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool IsLeader { get; private set; }

    public static async Task<OperatorHost> StartAsync(OperatorSettings settings, IKubeClient client, ITopicAdmin admin, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }
        else if (settings.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Any, settings.Port));

        var app = builder.Build();
        var host = new OperatorHost(app, new OperatorMetrics());
        app.MapGet("/metrics", () => Results.Text(host.Metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => host._ready ? Results.Text("ok\n") : Results.Text("not ready\n", statusCode: 503));
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.Address = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        host.Completion = Task.Run(() => host.RunAsync(settings, client, admin, host._stop.Token));
        return host;
    }

    private async Task RunAsync(OperatorSettings settings, IKubeClient client, ITopicAdmin admin, CancellationToken ct)
    {
        try
        {
            // Ready once the API answers and the CRDs are installed; standby replicas are ready too.
            while (!ct.IsCancellationRequested && !_ready)
            {
                try
                {
                    await client.ListAsync<KafkaCluster>(settings.WatchNamespace, ct: ct).ConfigureAwait(false);
                    _ready = true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("API server not usable yet (are the CRDs installed?): {Error}", e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
                }
            }
            if (!settings.LeaderElection)
            {
                await RunControllersAsync(settings, client, admin, ct).ConfigureAwait(false);
                return;
            }
            var elector = new LeaderElector(client, new LeaderElectionOptions
            {
                LeaseName = settings.LeaseName,
                LeaseNamespace = settings.LeaseNamespace,
                Identity = settings.Identity,
                OnError = e => _logger.LogWarning("leader election: {Error}", e.Message),
            });
            _logger.LogInformation("campaigning for lease {Namespace}/{Lease} as {Identity}", settings.LeaseNamespace, settings.LeaseName, settings.Identity);
            await elector.RunAsync(leading => RunControllersAsync(settings, client, admin, leading), () =>
            {
                IsLeader = false;
                Metrics.SetLeader(false);
            }, ct).ConfigureAwait(false);
            if (!ct.IsCancellationRequested)
            {
                _logger.LogError("lost the leader lease; stopping so a restart can campaign again");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunControllersAsync(OperatorSettings settings, IKubeClient client, ITopicAdmin admin, CancellationToken ct)
    {
        IsLeader = true;
        Metrics.SetLeader(true);
        _logger.LogInformation("leading: starting controllers (namespace: {Namespace})", settings.WatchNamespace ?? "<all>");
        var loggers = _app.Services.GetRequiredService<ILoggerFactory>();
        var events = new KubeEventSink(new EventRecorder(client, "kafka-operator", settings.Identity,
            onError: e => _logger.LogWarning("recording an event failed: {Error}", e.Message)));
        var options = new ControllerOptions { Namespace = settings.WatchNamespace, Workers = settings.Workers };

        var clusters = new ClusterReconciler(client, events, new ModelOptions { DefaultBrokerImage = settings.BrokerImage }, loggers.CreateLogger<ClusterReconciler>(),
            admin as IClusterAdmin ?? throw new ArgumentException("the admin must also implement IClusterAdmin", nameof(admin)),
            new ClusterOperationsOptions { BrokerReadyTimeout = settings.BrokerReadyTimeout, DrainTimeout = settings.DrainTimeout });
        using var clusterController = new Controller<KafkaCluster>("kafkacluster", client, clusters.ReconcileAsync, Metrics, loggers.CreateLogger("KafkaOperator.Controller.KafkaCluster"), options);
        // Pod and StatefulSet changes wake their cluster, so status and rolling follow the brokers closely.
        const string brokerSelector = "app.kubernetes.io/managed-by=kafka-operator,app.kubernetes.io/component=broker";
        clusterController.Watches<V1Pod>(brokerSelector, OwnerClusterKey).Watches<V1StatefulSet>(brokerSelector, OwnerClusterKey);

        var topics = new TopicReconciler(client, admin, events, loggers.CreateLogger<TopicReconciler>()) { KeySkew = new KafkaKeySkewReader() };
        using var topicController = new Controller<KafkaTopic>("kafkatopic", client, topics.ReconcileAsync, Metrics, loggers.CreateLogger("KafkaOperator.Controller.KafkaTopic"), options);

        await Task.WhenAll(clusterController.RunAsync(ct), topicController.RunAsync(ct)).ConfigureAwait(false);
        _logger.LogInformation("controllers stopped");
    }

    private static string? OwnerClusterKey(IKubernetesObject<V1ObjectMeta> child) =>
        child.Metadata.Labels.ValueOf("app.kubernetes.io/instance") is { } cluster ? ObjectKey.Of(child.Metadata.NamespaceProperty, cluster) : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
