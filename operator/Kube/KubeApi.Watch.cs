using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube;

public sealed partial class KubeApi
{
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? ns, string? resourceVersion, string? labelSelector = null,
        bool allowBookmarks = true, int? timeoutSeconds = null, [EnumeratorCancellation] CancellationToken ct = default)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var e = KubeEntity.Of<T>();
        var what = $"watch {e.Plural}";
        var ops = _kubernetes.CustomObjects;
        // The library reports ERROR events (a Status, e.g. 410 Expired) and undecodable lines to a callback and goes on;
        // a watch that saw one has lost events, so it ends here with that error.
        Exception? error = null;
        var events = string.IsNullOrEmpty(ns)
            ? ops.WatchListClusterCustomObjectAsync(e.Group, e.Version, e.Plural, allowWatchBookmarks: allowBookmarks, labelSelector: labelSelector,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: x => error ??= x, cancellationToken: ct)
            : ops.WatchListNamespacedCustomObjectAsync(e.Group, e.Version, ns, e.Plural, allowWatchBookmarks: allowBookmarks, labelSelector: labelSelector,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: x => error ??= x, cancellationToken: ct);
        await using var enumerator = events.GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (HttpOperationException x)
            {
                throw KubeApiException.FromResponse((int)x.Response.StatusCode, x.Response.ReasonPhrase, x.Response.Content, what, x);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                // The server dropped the stream: end the watch like a normal close; callers re-watch.
                more = false;
            }
            catch (HttpRequestException) when (!ct.IsCancellationRequested)
            {
                more = false;
            }
            if (error is not null)
            {
                throw error is KubernetesException { Status: { } status }
                    ? KubeApiException.FromStatus(status, what)
                    : new KubeApiException(0, "BadWatchEvent", $"{what}: {error.Message}", error);
            }
            if (!more)
            {
                yield break;
            }
            var (type, obj) = enumerator.Current;
            var typed = obj switch
            {
                JsonElement element => KubernetesJson.Deserialize<T>(element),
                T already => already,
                _ => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj)),
            };
            yield return new WatchEvent<T>(type, KubeEntity.WithTypeMeta(typed));
        }
    }
}
