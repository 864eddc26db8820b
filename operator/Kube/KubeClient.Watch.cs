using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Watch;

namespace KafkaOperator.Kube;

public sealed partial class KubeClient
{
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? ns, string? resourceVersion, string? labelSelector = null,
        bool allowBookmarks = true, int? timeoutSeconds = null, [EnumeratorCancellation] CancellationToken ct = default)
        where T : KubeObject, new()
    {
        var info = ResourceInfo.Of<T>();
        var query = new QueryBuilder()
            .Add("watch", "true")
            .Add("resourceVersion", resourceVersion)
            .Add("labelSelector", labelSelector)
            .Add("allowWatchBookmarks", allowBookmarks ? "true" : null)
            .Add("timeoutSeconds", timeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var what = $"watch {info.Plural}";
        using var request = new HttpRequestMessage(HttpMethod.Get, info.CollectionPath(ns) + query);
        await AuthorizeAsync(request, ct).ConfigureAwait(false);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw KubeApiException.FromResponse((int)response.StatusCode, response.ReasonPhrase, body, what);
        }
        using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                // The server dropped the stream: end the watch like a normal close; callers re-watch.
                yield break;
            }
            if (line is null)
            {
                yield break;
            }
            if (line.Length == 0)
            {
                continue;
            }
            yield return ParseWatchLine<T>(line, info, what);
        }
    }

    /// <summary>Parses one line of a watch stream: {"type":"ADDED","object":{...}}.</summary>
    internal static WatchEvent<T> ParseWatchLine<T>(string line, ResourceInfo info, string what) where T : KubeObject, new()
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var typeText = root.TryGetProperty("type", out var t) ? t.GetString() : null;
        var type = typeText switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            _ => throw new KubeApiException(0, "BadWatchEvent", $"{what}: unknown watch event type '{typeText}'"),
        };
        if (!root.TryGetProperty("object", out var objectElement) || objectElement.ValueKind != JsonValueKind.Object)
        {
            throw new KubeApiException(0, "BadWatchEvent", $"{what}: {typeText} event without an object");
        }
        if (type == WatchEventType.Error)
        {
            throw KubeApiException.FromStatus(objectElement, 500, what);
        }
        var obj = objectElement.Deserialize<T>(KubeJson.Options)!;
        FillTypeMeta(obj, info);
        return new WatchEvent<T>(type, obj);
    }
}
