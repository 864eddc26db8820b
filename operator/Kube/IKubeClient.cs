using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube;

/// <summary>
/// The operator's typed view of the API over KubernetesClient's models: any kind by its type, without a per-kind
/// switch. Every method throws <see cref="KubeApiException"/> for an API error (409 Conflict, 410 Gone, 422 Invalid,
/// ...), except GetAsync (null on 404) and DeleteAsync (no-op on 404).
/// </summary>
public interface IKubeClient
{
    /// <summary>The library client underneath, for what it offers directly (typed APIs, the Lease lock).</summary>
    IKubernetes Kubernetes { get; }

    Task<T?> GetAsync<T>(string? ns, string name, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>Lists every page (following "continue"); a null namespace lists all namespaces.</summary>
    Task<KubeList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    Task<T> CreateAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>PUT; 409 when metadata.resourceVersion is stale.</summary>
    Task<T> ReplaceAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>PUT .../status: only the status of <paramref name="obj"/> is taken.</summary>
    Task<T> ReplaceStatusAsync<T>(T obj, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>RFC 7386 merge patch of any object serialized with the Kubernetes conventions (nulls omitted).</summary>
    Task<T> MergePatchAsync<T>(string? ns, string name, object patch, bool status = false, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>
    /// Server-side apply of <paramref name="obj"/> as the whole intent of <paramref name="fieldManager"/>: fields it
    /// applied before and leaves out now are removed. Without <paramref name="force"/> a field another manager owns
    /// with a different value is a 409 naming that manager.
    /// </summary>
    Task<T> ApplyAsync<T>(T obj, string fieldManager, bool force = true, bool status = false, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>No-op when the object does not exist. Propagation: Background, Foreground or Orphan.</summary>
    Task DeleteAsync<T>(string? ns, string name, string? propagationPolicy = "Background", CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>
    /// Streams events after <paramref name="resourceVersion"/> until the server closes the watch or
    /// <paramref name="ct"/> fires. A watch ERROR event (e.g. 410 Expired) is thrown as <see cref="KubeApiException"/>.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? ns, string? resourceVersion, string? labelSelector = null,
        bool allowBookmarks = true, int? timeoutSeconds = null, CancellationToken ct = default) where T : class, IKubernetesObject<V1ObjectMeta>, new();
}

/// <summary>A list of any kind (the library has a list type per kind only).</summary>
public sealed class KubeList<T>
{
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public List<T> Items { get; set; } = [];
}
