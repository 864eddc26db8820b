using System.Diagnostics;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Kube.Watch;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Metrics;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Queue;

public sealed class ControllerOptions
{
    /// <summary>Null watches every namespace.</summary>
    public string? Namespace { get; init; }
    public int Workers { get; init; } = 2;
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Runs one reconciler: watches feed keys into a <see cref="WorkQueue"/>, workers reconcile them one key at a time,
/// failures come back with exponential backoff, every known key is resynced periodically. Each reconcile reads the
/// object fresh from the API so it never acts on a stale cache.
/// </summary>
public sealed class Controller<T> : IDisposable where T : class, IKubernetesObject<V1ObjectMeta>, new()
{
    private readonly IKubeClient _client;
    private readonly Func<T, CancellationToken, Task<ReconcileResult>> _reconcile;
    private readonly OperatorMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ControllerOptions _options;
    private readonly List<Func<CancellationToken, Task>> _sources = [];

    public Controller(string name, IKubeClient client, Func<T, CancellationToken, Task<ReconcileResult>> reconcile, OperatorMetrics metrics, ILogger logger, ControllerOptions? options = null)
    {
        Name = name;
        _client = client;
        _reconcile = reconcile;
        _metrics = metrics;
        _logger = logger;
        _options = options ?? new ControllerOptions();
        Queue = new WorkQueue(_options.BackoffBase, _options.BackoffMax);
        metrics.RegisterQueue(name, () => Queue.Depth);
        Informer = NewInformer<T>(null);
        Informer.AddHandler(OnPrimaryEventAsync);
        _sources.Add(Informer.RunAsync);
    }

    public string Name { get; }

    /// <summary>The list+watch cache of the reconciled kind (Kube's informer: relists on 410, backs off on errors).</summary>
    public Informer<T> Informer { get; }
    public WorkQueue Queue { get; }

    /// <summary>Also reconcile the owner when an object of another kind changes (pods, StatefulSets...).</summary>
    public Controller<T> Watches<TOther>(string? labelSelector, Func<TOther, string?> ownerKey) where TOther : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var informer = NewInformer<TOther>(labelSelector);
        informer.AddHandler(e =>
        {
            if (e.Object is not null && ownerKey(e.Object) is { } key)
            {
                Queue.Add(key);
            }
            return Task.CompletedTask;
        });
        _sources.Add(informer.RunAsync);
        return this;
    }

    public void Enqueue(string key) => Queue.Add(key);

    private Informer<TKind> NewInformer<TKind>(string? labelSelector) where TKind : class, IKubernetesObject<V1ObjectMeta>, new() =>
        new(_client, _options.Namespace, labelSelector, new InformerOptions
        {
            OnError = e => _logger.LogWarning("watch of {Kind} failed: {Error}", typeof(TKind).Name, e.Message),
        });

    public async Task RunAsync(CancellationToken ct)
    {
        var tasks = _sources.Select(s => s(ct)).ToList();
        tasks.AddRange(Enumerable.Range(0, _options.Workers).Select(_ => WorkerAsync(ct)));
        tasks.Add(ResyncAsync(ct));
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One reconcile pass for a key, with the paused check and metrics. Public for tests and tools.</summary>
    public async Task<ReconcileResult> ReconcileKeyAsync(string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Parse(key);
        var started = Stopwatch.GetTimestamp();
        ReconcileResult result;
        try
        {
            var obj = await _client.GetAsync<T>(ns, name, ct).ConfigureAwait(false);
            if (obj is null)
            {
                return ReconcileResult.Success();
            }
            if (obj.Metadata.Annotations.ValueOf(CrdGroup.PausedAnnotation) == "true")
            {
                _logger.LogInformation("{Controller} {Key}: paused by annotation {Annotation}", Name, key, CrdGroup.PausedAnnotation);
                return ReconcileResult.Success();
            }
            result = await _reconcile(obj, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "{Controller} {Key}: reconcile failed", Name, key);
            result = ReconcileResult.Failure(e.Message);
        }
        _metrics.ReconcileCompleted(Name, result.Succeeded, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var key = await Queue.TakeAsync(ct).ConfigureAwait(false);
            try
            {
                var result = await ReconcileKeyAsync(key, ct).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    Queue.Forget(key);
                    if (result.RequeueAfter is { } after)
                    {
                        Queue.AddAfter(key, after);
                    }
                }
                else if (result.RequeueAfter is { } after)
                {
                    Queue.AddAfter(key, after);
                }
                else
                {
                    var delay = Queue.AddRateLimited(key);
                    _logger.LogInformation("{Controller} {Key}: retrying in {Delay} ({Error})", Name, key, delay, result.Error);
                }
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    private async Task ResyncAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ResyncInterval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            foreach (var obj in Informer.Items)
            {
                Queue.Add(ObjectKey.Of(obj.Metadata.NamespaceProperty, obj.Metadata.Name!));
            }
        }
    }

    private Task OnPrimaryEventAsync(WatchEvent<T> e)
    {
        // Deleted objects are queued too: the reconcile finds them gone and does nothing (children carry owner refs).
        if (e.Type != WatchEventType.Bookmark && e.Object?.Metadata.Name is { } name)
        {
            Queue.Add(ObjectKey.Of(e.Object.Metadata.NamespaceProperty, name));
        }
        return Task.CompletedTask;
    }

    public void Dispose() => Queue.Dispose();
}
