using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaOperator.Kube.Testing;

/// <summary>
/// An in-process Kubernetes API server for tests: Kestrel on 127.0.0.1 (random port), every group/version/plural
/// stored generically as JSON, following the API conventions (resourceVersion, 409 on stale writes, generation,
/// status subresource, finalizers, watch with bookmarks and 410, label selectors, merge, strategic merge and
/// server-side apply patches with managedFields, canonical quantities, owner GC).
/// <code>await using var server = await FakeApiServer.StartAsync(); var cm = await server.Client.GetAsync&lt;V1ConfigMap&gt;("ns", "x");</code>
/// </summary>
public sealed partial class FakeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly FakeApiServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _requestsLock = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<InjectedFailure> _failures = [];
    private readonly List<HungRequests> _hangs = [];
    private readonly List<KubeApi> _clients = [];
    private Task _bookmarkLoop = Task.CompletedTask;

    private FakeApiServer(WebApplication app, FakeApiServerOptions options)
    {
        _app = app;
        _options = options;
        _store = new ObjectStore(options.TimeProvider, options.HistoryLimit);
        Client = null!;
        BaseAddress = null!;
    }

    /// <summary>http(s)://127.0.0.1:{port}/</summary>
    public Uri BaseAddress { get; private set; }

    /// <summary>A real <see cref="KubeApi"/> (KubernetesClient underneath) connected to this server over HTTP.</summary>
    public IKubeClient Client { get; private set; }

    /// <summary>The latest resourceVersion handed out.</summary>
    public long ResourceVersion => _store.ResourceVersion;

    public static async Task<FakeApiServer> StartAsync(FakeApiServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new FakeApiServerOptions();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (options.ServerCertificate is { } cert)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = cert,
                    ClientCertificateMode = options.ClientCertificateAuthorities is null ? ClientCertificateMode.AllowCertificate : ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (clientCert, _, _) => options.ClientCertificateAuthorities is not { } roots || ValidateClient(clientCert, roots),
                });
            }
        }));
        var app = builder.Build();
        var server = new FakeApiServer(app, options);
        app.Run(server.HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        server.Client = server.CreateClient();
        if (options.BookmarkInterval is { } interval)
        {
            server._bookmarkLoop = server.BookmarkLoopAsync(interval);
        }
        return server;
    }

    /// <summary>Another client to this server, e.g. with a token or TLS settings; disposed with the server.</summary>
    public KubeApi CreateClient(Func<Uri, KubernetesClientConfiguration>? configure = null)
    {
        var client = new KubeApi(configure?.Invoke(BaseAddress) ?? new KubernetesClientConfiguration { Host = BaseAddress.ToString(), HttpClientTimeout = TimeSpan.FromSeconds(30) });
        lock (_requestsLock)
        {
            _clients.Add(client);
        }
        return client;
    }

    /// <summary>Every request served so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requestsLock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests matching <paramref name="method"/> (any when null) and whose path
    /// and query ("/api/v1/namespaces/ns/pods?watch=true") contain <paramref name="pathContains"/> answer <paramref name="statusCode"/> with a Status body.
    /// </summary>
    public InjectedFailure InjectFailures(int count, int statusCode = 500, string? method = null, string? pathContains = null)
    {
        var failure = new InjectedFailure(count, statusCode, method, pathContains);
        lock (_requestsLock)
        {
            _failures.Add(failure);
        }
        return failure;
    }

    /// <summary>
    /// Matching requests get no answer until the returned handle is released (or disposed), the client gives up, or the
    /// server stops: an API server that hangs, for testing deadlines.
    /// </summary>
    public HungRequests HangRequests(string? method = null, string? pathContains = null)
    {
        var hang = new HungRequests(method, pathContains);
        lock (_requestsLock)
        {
            _hangs.Add(hang);
        }
        return hang;
    }

    /// <summary>Stops every injected failure that has not fired yet.</summary>
    public void ClearFailures()
    {
        lock (_requestsLock)
        {
            _failures.Clear();
        }
    }

    /// <summary>How many watch streams are open (registered with the store) right now.</summary>
    public int OpenWatchCount => _store.WatcherCount;

    /// <summary>Drops the watch history: watching from any older resourceVersion now gets 410 Gone/Expired.</summary>
    public void CompactHistory() => _store.Compact();

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every open watch that allows bookmarks.</summary>
    public void SendBookmarks() => _store.SendBookmarks();

    /// <summary>Ends every open watch stream (clients see a normal end of stream and re-watch).</summary>
    public void CloseWatches() => _store.CloseAllWatches();

    /// <summary>
    /// Whether PUT/PATCH on the main resource ignores status (default true for every type; creating a CRD sets it from
    /// its versions' subresources).
    /// </summary>
    public void SetStatusSubresource(string group, string plural, bool enabled) =>
        _store.SetStatusSubresource(new ResourceType(group, plural), enabled);

    /// <summary>The stored JSON of one object, or null (bypasses HTTP, for assertions).</summary>
    public JsonObject? GetStored(string group, string plural, string? ns, string name)
    {
        try
        {
            return JsonNode.Parse(_store.Get(new ResourceKey(group, plural, ns ?? "", name))) as JsonObject;
        }
        catch (ApiError)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _store.CloseAllWatches();
        lock (_requestsLock)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }
        await _bookmarkLoop.ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task BookmarkLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                _store.SendBookmarks();
            }
        }
        catch (OperationCanceledException)
        {
            // Server stopping.
        }
    }

    private static bool ValidateClient(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        return chain.Build(certificate);
    }
}
