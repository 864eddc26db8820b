using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace KafkaOperator.Kube;

/// <summary>
/// <see cref="IKubeClient"/> over KubernetesClient: its HTTP client, authentication (kubeconfig, exec plugins, auth
/// providers, in-cluster service account), serialization and watch stream, addressed generically through the
/// custom-objects operations (which take group, version and plural, so they serve every kind). Thread-safe.
/// </summary>
public sealed partial class KubeApi : IKubeClient, IDisposable
{
    private readonly Kubernetes _kubernetes;

    public KubeApi(KubernetesClientConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _kubernetes = new Kubernetes(config, new CoreGroupPathHandler());
    }

    public KubernetesClientConfiguration Config { get; }

    public IKubernetes Kubernetes => _kubernetes;

    /// <summary>
    /// Where to find the API server: <paramref name="kubeconfig"/> when given, else the pod's service account when
    /// running in a cluster, else $KUBECONFIG (its first file) or ~/.kube/config with its current context. A missing
    /// or broken kubeconfig throws KubeConfigException (rather than the library's default of localhost:8080).
    /// </summary>
    public static KubernetesClientConfiguration LoadConfig(string? kubeconfig = null)
    {
        var config = kubeconfig is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)
            : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        // A request the API server does not answer in 30 s fails (TimeoutException) and is retried by its caller; a
        // watch is bounded only until its response headers arrive, then by its own timeoutSeconds.
        config.HttpClientTimeout = TimeSpan.FromSeconds(30);
        config.UserAgent = "kafka-operator";
        return config;
    }

    public void Dispose() => _kubernetes.Dispose();

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var e = KubeEntity.Of<T>();
        try
        {
            return await CallAsync($"get {e.Kind} {Describe(ns, name)}", ct, async () => KubeEntity.WithTypeMeta(string.IsNullOrEmpty(ns)
                ? (await _kubernetes.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<T>(e.Group, e.Version, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body
                : (await _kubernetes.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<T>(e.Group, e.Version, ns, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body)).ConfigureAwait(false);
        }
        catch (KubeApiException x) when (x.IsNotFound)
        {
            return null;
        }
    }

    public async Task<KubeList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var e = KubeEntity.Of<T>();
        KubeList<T>? result = null;
        string? continueToken = null;
        do
        {
            var token = continueToken;
            var page = await CallAsync($"list {e.Plural}", ct, async () => string.IsNullOrEmpty(ns)
                ? (await _kubernetes.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<KubeList<T>>(e.Group, e.Version, e.Plural, continueParameter: token, labelSelector: labelSelector, limit: ListPageSize, cancellationToken: ct).ConfigureAwait(false)).Body
                : (await _kubernetes.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<KubeList<T>>(e.Group, e.Version, ns, e.Plural, continueParameter: token, labelSelector: labelSelector, limit: ListPageSize, cancellationToken: ct).ConfigureAwait(false)).Body).ConfigureAwait(false);
            page.Items.ForEach(i => KubeEntity.WithTypeMeta(i));
            if (result is null)
            {
                result = page;
            }
            else
            {
                result.Items.AddRange(page.Items);
            }
            continueToken = page.Metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));
        result.Metadata.ContinueProperty = null;
        return result;
    }

    /// <summary>Items per list request.</summary>
    public int ListPageSize { get; set; } = 500;

    public Task<T> CreateAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        var e = KubeEntity.Of<T>();
        KubeEntity.WithTypeMeta(obj);
        var ns = obj.Metadata?.NamespaceProperty;
        return CallAsync($"create {e.Kind} {Describe(ns, obj.Metadata?.Name ?? obj.Metadata?.GenerateName)}", ct, async () => KubeEntity.WithTypeMeta(string.IsNullOrEmpty(ns)
            ? (await _kubernetes.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<T>(obj, e.Group, e.Version, e.Plural, cancellationToken: ct).ConfigureAwait(false)).Body
            : (await _kubernetes.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<T>(obj, e.Group, e.Version, ns, e.Plural, cancellationToken: ct).ConfigureAwait(false)).Body));
    }

    public Task<T> ReplaceAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new() =>
        PutAsync(obj, status: false, ct);

    public Task<T> ReplaceStatusAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new() =>
        PutAsync(obj, status: true, ct);

    public Task<T> MergePatchAsync<T>(string? ns, string name, object patch, bool status = false, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(patch);
        var json = patch is JsonNode node ? node.ToJsonString() : KubernetesJson.Serialize(patch);
        return PatchAsync<T>(ns, name, new V1Patch(json, V1Patch.PatchType.MergePatch), null, null, status, ct);
    }

    public Task<T> ApplyAsync<T>(T obj, string fieldManager, bool force = true, bool status = false, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentException.ThrowIfNullOrEmpty(fieldManager);
        KubeEntity.WithTypeMeta(obj);
        var name = obj.Metadata?.Name ?? throw new ArgumentException("Apply needs metadata.name.", nameof(obj));
        return PatchAsync<T>(obj.Metadata.NamespaceProperty, name, new V1Patch(ApplyConfiguration(obj), V1Patch.PatchType.ApplyPatch), fieldManager, force, status, ct);
    }

    public async Task DeleteAsync<T>(string? ns, string name, string? propagationPolicy = "Background", CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var e = KubeEntity.Of<T>();
        try
        {
            await CallAsync($"delete {e.Kind} {Describe(ns, name)}", ct, async () => string.IsNullOrEmpty(ns)
                ? (await _kubernetes.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync(e.Group, e.Version, e.Plural, name, propagationPolicy: propagationPolicy, cancellationToken: ct).ConfigureAwait(false)).Body
                : (await _kubernetes.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync(e.Group, e.Version, ns, e.Plural, name, propagationPolicy: propagationPolicy, cancellationToken: ct).ConfigureAwait(false)).Body).ConfigureAwait(false);
        }
        catch (KubeApiException x) when (x.IsNotFound)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// The apply body: the object without server-owned metadata, so an object read from the server can be applied
    /// as it is (the API refuses an apply that carries managedFields).
    /// </summary>
    internal static string ApplyConfiguration(object obj)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        if (node["metadata"] is JsonObject metadata)
        {
            foreach (var field in (string[])["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"])
            {
                metadata.Remove(field);
            }
        }
        return node.ToJsonString();
    }

    private Task<T> PutAsync<T>(T obj, bool status, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        ArgumentNullException.ThrowIfNull(obj);
        var e = KubeEntity.Of<T>();
        KubeEntity.WithTypeMeta(obj);
        var name = obj.Metadata?.Name ?? throw new ArgumentException("Replace needs metadata.name.", nameof(obj));
        var ns = obj.Metadata.NamespaceProperty;
        var ops = _kubernetes.CustomObjects;
        return CallAsync($"replace {e.Kind}{(status ? " status" : "")} {Describe(ns, name)}", ct, async () => KubeEntity.WithTypeMeta((string.IsNullOrEmpty(ns), status) switch
        {
            (true, false) => (await ops.ReplaceClusterCustomObjectWithHttpMessagesAsync<T>(obj, e.Group, e.Version, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body,
            (true, true) => (await ops.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<T>(obj, e.Group, e.Version, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body,
            (false, false) => (await ops.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<T>(obj, e.Group, e.Version, ns, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body,
            (false, true) => (await ops.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(obj, e.Group, e.Version, ns, e.Plural, name, cancellationToken: ct).ConfigureAwait(false)).Body,
        }));
    }

    private Task<T> PatchAsync<T>(string? ns, string name, V1Patch patch, string? fieldManager, bool? force, bool status, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var e = KubeEntity.Of<T>();
        var ops = _kubernetes.CustomObjects;
        return CallAsync($"patch {e.Kind}{(status ? " status" : "")} {Describe(ns, name)}", ct, async () => KubeEntity.WithTypeMeta((string.IsNullOrEmpty(ns), status) switch
        {
            (true, false) => (await ops.PatchClusterCustomObjectWithHttpMessagesAsync<T>(patch, e.Group, e.Version, e.Plural, name, fieldManager: fieldManager, force: force, cancellationToken: ct).ConfigureAwait(false)).Body,
            (true, true) => (await ops.PatchClusterCustomObjectStatusWithHttpMessagesAsync<T>(patch, e.Group, e.Version, e.Plural, name, fieldManager: fieldManager, force: force, cancellationToken: ct).ConfigureAwait(false)).Body,
            (false, false) => (await ops.PatchNamespacedCustomObjectWithHttpMessagesAsync<T>(patch, e.Group, e.Version, ns, e.Plural, name, fieldManager: fieldManager, force: force, cancellationToken: ct).ConfigureAwait(false)).Body,
            (false, true) => (await ops.PatchNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(patch, e.Group, e.Version, ns, e.Plural, name, fieldManager: fieldManager, force: force, cancellationToken: ct).ConfigureAwait(false)).Body,
        }));
    }

    /// <summary>Turns the library's HttpOperationException into <see cref="KubeApiException"/> with the Status's message.</summary>
    private static async Task<TResult> CallAsync<TResult>(string what, CancellationToken ct, Func<Task<TResult>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw KubeApiException.FromResponse((int)e.Response.StatusCode, e.Response.ReasonPhrase, e.Response.Content, what, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout (KubernetesClientConfiguration.HttpClientTimeout), not the caller's token.
            throw new TimeoutException($"{what}: no answer in time.", e);
        }
    }

    private static string Describe(string? ns, string? name) => string.IsNullOrEmpty(ns) ? name ?? "" : $"{ns}/{name}";

    /// <summary>
    /// The custom-objects operations build /apis/{group}/{version}/...; the core group (empty) lives under /api/{version}.
    /// </summary>
    private sealed class CoreGroupPathHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && uri.AbsolutePath.Contains("/apis//", StringComparison.Ordinal))
            {
                request.RequestUri = new UriBuilder(uri) { Path = uri.AbsolutePath.Replace("/apis//", "/api/", StringComparison.Ordinal) }.Uri;
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
