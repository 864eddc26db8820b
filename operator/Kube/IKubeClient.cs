using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube;

/// <summary>
/// Typed access to the Kubernetes API. Every method throws <see cref="KubeApiException"/> for an API error
/// (409 Conflict, 410 Gone, 422 Invalid, ...), except GetAsync (null on 404) and DeleteAsync (no-op on 404).
/// </summary>
public interface IKubeClient
{
    Task<T?> GetAsync<T>(string? ns, string name, CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>Lists every page (following "continue"); a null namespace lists all namespaces.</summary>
    Task<KubeList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken ct = default) where T : KubeObject, new();

    Task<T> CreateAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>PUT; 409 when metadata.resourceVersion is stale.</summary>
    Task<T> ReplaceAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>PUT .../status: only the status of <paramref name="obj"/> is taken.</summary>
    Task<T> ReplaceStatusAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();

    Task<T> PatchAsync<T>(string? ns, string name, KubePatch patch, CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>Server-side apply of <paramref name="obj"/> as the intent of <paramref name="fieldManager"/>.</summary>
    Task<T> ApplyAsync<T>(T obj, string fieldManager, bool force = true, CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>No-op when the object does not exist. Propagation: Background, Foreground or Orphan.</summary>
    Task DeleteAsync<T>(string? ns, string name, string? propagationPolicy = "Background", CancellationToken ct = default) where T : KubeObject, new();

    /// <summary>
    /// Streams events after <paramref name="resourceVersion"/> until the server closes the watch or
    /// <paramref name="ct"/> fires. A watch ERROR event (e.g. 410 Expired) is thrown as <see cref="KubeApiException"/>.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? ns, string? resourceVersion, string? labelSelector = null,
        bool allowBookmarks = true, int? timeoutSeconds = null, CancellationToken ct = default) where T : KubeObject, new();
}
