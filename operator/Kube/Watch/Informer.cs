using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace KafkaOperator.Kube.Watch;

public sealed class InformerOptions
{
    /// <summary>First retry delay after an error; doubles up to <see cref="MaxBackoff"/>, with up to 20% jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Server-side watch timeout; the informer re-watches from the last resourceVersion when it ends.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>List/watch errors and handler exceptions; the informer keeps running after both.</summary>
    public Action<Exception>? OnError { get; init; }
}

/// <summary>
/// Keeps a cache of one resource type in sync: list, then watch from the list's resourceVersion (following bookmarks),
/// re-watch when a watch ends, relist on 410 Gone (emitting the difference as Added/Modified/Deleted), and back off
/// exponentially with jitter on errors. Handlers run one at a time, in event order, on the informer's loop.
/// </summary>
public sealed class Informer<T> : IAsyncDisposable where T : class, IKubernetesObject<V1ObjectMeta>, new()
{
    private readonly IKubeClient _client;
    private readonly string? _namespace;
    private readonly string? _labelSelector;
    private readonly InformerOptions _options;
    private readonly ConcurrentDictionary<string, T> _cache = new();
    private readonly List<Func<WatchEvent<T>, Task>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _runCts;
    private Task _running = Task.CompletedTask;
    private int _listCount;

    public Informer(IKubeClient client, string? ns = null, string? labelSelector = null, InformerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _namespace = ns;
        _labelSelector = labelSelector;
        _options = options ?? new InformerOptions();
    }

    /// <summary>The cached objects (a snapshot).</summary>
    public IReadOnlyCollection<T> Items => [.. _cache.Values];

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The resourceVersion the next watch starts from.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>How many times the informer listed (1 + relists).</summary>
    public int ListCount => Volatile.Read(ref _listCount);

    /// <summary>Adds a handler; add handlers before starting so none misses the initial Added events.</summary>
    public void AddHandler(Func<WatchEvent<T>, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            _handlers.Add(handler);
        }
    }

    public T? Get(string? ns, string name) => _cache.GetValueOrDefault(Key(ns, name));

    /// <summary>Completes once the first list has been applied to the cache.</summary>
    public Task WaitForSyncAsync(CancellationToken ct = default) => _synced.Task.WaitAsync(ct);

    /// <summary>Starts the loop in the background; <see cref="DisposeAsync"/> stops it.</summary>
    public void Start()
    {
        if (_runCts is not null)
        {
            throw new InvalidOperationException("The informer is already started.");
        }
        _runCts = new CancellationTokenSource();
        _running = Task.Run(() => RunAsync(_runCts.Token));
    }

    /// <summary>Runs list+watch until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.InitialBackoff;
        var needList = true;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(ct).ConfigureAwait(false);
                    needList = false;
                    backoff = _options.InitialBackoff;
                }
                // A server that vanished without closing the connection would leave the watch hanging: give up on it a
                // minute after the server should have ended it, and re-watch.
                using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(_options.WatchTimeoutSeconds + 60), _options.TimeProvider);
                using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(ct, watchdog.Token);
                var received = false;
                try
                {
                    await foreach (var e in _client.WatchAsync<T>(_namespace, ResourceVersion, _labelSelector, true, _options.WatchTimeoutSeconds, watchCts.Token).ConfigureAwait(false))
                    {
                        await ApplyAsync(e).ConfigureAwait(false);
                        backoff = _options.InitialBackoff;
                        received = true;
                    }
                }
                catch (OperationCanceledException) when (watchdog.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    continue;
                }
                if (!received)
                {
                    // A watch that ends at once, again and again, must not become a busy loop against the server.
                    await Task.Delay(_options.InitialBackoff, _options.TimeProvider, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                // Our resourceVersion fell out of the server's history: only a fresh list can resynchronize.
                needList = true;
            }
            catch (Exception e)
            {
                // Anything else (API errors, transport errors, a malformed event) is retried after a backoff.
                _options.OnError?.Invoke(e);
                try
                {
                    await Task.Delay(Jitter(backoff), _options.TimeProvider, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_runCts is null)
        {
            return;
        }
        await _runCts.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _runCts.Dispose();
    }

    private async Task ListAsync(CancellationToken ct)
    {
        var list = await _client.ListAsync<T>(_namespace, _labelSelector, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _listCount);
        var seen = new HashSet<string>();
        foreach (var item in list.Items)
        {
            var key = Key(item);
            seen.Add(key);
            var known = _cache.GetValueOrDefault(key);
            _cache[key] = item;
            if (known is null)
            {
                await DispatchAsync(new WatchEvent<T>(WatchEventType.Added, item)).ConfigureAwait(false);
            }
            else if (known.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
            {
                await DispatchAsync(new WatchEvent<T>(WatchEventType.Modified, item)).ConfigureAwait(false);
            }
        }
        foreach (var (key, gone) in _cache.Where(c => !seen.Contains(c.Key)).ToList())
        {
            _cache.TryRemove(key, out _);
            await DispatchAsync(new WatchEvent<T>(WatchEventType.Deleted, gone)).ConfigureAwait(false);
        }
        ResourceVersion = list.Metadata?.ResourceVersion;
        _synced.TrySetResult();
    }

    private async Task ApplyAsync(WatchEvent<T> e)
    {
        if (e.Object is null)
        {
            return;
        }
        switch (e.Type)
        {
            case WatchEventType.Bookmark:
                ResourceVersion = e.Object.Metadata?.ResourceVersion ?? ResourceVersion;
                return;
            case WatchEventType.Added or WatchEventType.Modified:
                _cache[Key(e.Object)] = e.Object;
                break;
            case WatchEventType.Deleted:
                _cache.TryRemove(Key(e.Object), out _);
                break;
            default:
                return;
        }
        ResourceVersion = e.Object.Metadata?.ResourceVersion ?? ResourceVersion;
        await DispatchAsync(e).ConfigureAwait(false);
    }

    private async Task DispatchAsync(WatchEvent<T> e)
    {
        Func<WatchEvent<T>, Task>[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }
        foreach (var handler in handlers)
        {
            try
            {
                await handler(e).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _options.OnError?.Invoke(ex);
            }
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble()));

    private static string Key(T obj) => Key(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");

    private static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";
}
