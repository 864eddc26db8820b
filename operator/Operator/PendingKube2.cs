// TEMPORARY: see PendingKube.cs.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube
{
    public sealed class KubeApiException(int statusCode, string reason, string message) : Exception(message)
    {
        public int StatusCode { get; } = statusCode;
        public string Reason { get; } = reason;
    }

    public static class KubeJson
    {
        public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    }

    public sealed class KubePatch
    {
        public static KubePatch Merge(JsonNode patch) => new();
    }

    public interface IKubeClient
    {
        Task<T?> GetAsync<T>(string? ns, string name, CancellationToken ct = default) where T : KubeObject, new();
        Task<KubeList<T>> ListAsync<T>(string? ns, string? labelSelector = null, CancellationToken ct = default) where T : KubeObject, new();
        Task<T> CreateAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();
        Task<T> ReplaceAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();
        Task<T> ReplaceStatusAsync<T>(T obj, CancellationToken ct = default) where T : KubeObject, new();
        Task<T> PatchAsync<T>(string? ns, string name, KubePatch patch, CancellationToken ct = default) where T : KubeObject, new();
        Task<T> ApplyAsync<T>(T obj, string fieldManager, bool force = true, CancellationToken ct = default) where T : KubeObject, new();
        Task DeleteAsync<T>(string? ns, string name, string? propagationPolicy = "Background", CancellationToken ct = default) where T : KubeObject, new();
        IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? ns, string? resourceVersion, string? labelSelector = null, bool allowBookmarks = true, int? timeoutSeconds = null, CancellationToken ct = default) where T : KubeObject, new();
    }
}

namespace KafkaOperator.Kube.Watch
{
    public enum WatchEventType { Added, Modified, Deleted, Bookmark, Error }

    public sealed record WatchEvent<T>(WatchEventType Type, T? Object);
}
