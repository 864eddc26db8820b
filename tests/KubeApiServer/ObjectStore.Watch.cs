using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace KafkaOperator.Kube.Testing;

internal sealed partial class ObjectStore
{
    private static readonly ResourceType CrdType = new("apiextensions.k8s.io", "customresourcedefinitions");

    private readonly List<StoredEvent> _history = [];
    private readonly List<Watcher> _watchers = [];
    private long _compactedResourceVersion = 100;

    /// <summary>
    /// Registers a watch. Without a resourceVersion (or "0") it starts with an ADDED event per existing object;
    /// otherwise it replays the history after that version, or throws 410 Expired when it was compacted away.
    /// </summary>
    public Watcher Watch(ApiPath path, string? labelSelector, string? resourceVersion, bool allowBookmarks)
    {
        var matcher = ParseSelector(labelSelector);
        lock (_lock)
        {
            var watcher = new Watcher(path.Type, path.Namespace, matcher, allowBookmarks, path.ApiVersion, _kinds.GetValueOrDefault(path.Type));
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var (key, obj) in _objects.OrderBy(o => Version(o.Value)))
                {
                    if (watcher.Wants(key) && matcher.Matches(obj))
                    {
                        watcher.Send(Line("ADDED", obj));
                    }
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                {
                    throw ApiError.BadRequest($"invalid resourceVersion '{resourceVersion}'");
                }
                if (from < _compactedResourceVersion)
                {
                    throw ApiError.Expired(from, _compactedResourceVersion);
                }
                foreach (var stored in _history)
                {
                    if (stored.ResourceVersion > from)
                    {
                        watcher.Deliver(stored);
                    }
                }
            }
            _watchers.Add(watcher);
            return watcher;
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    public void Unwatch(Watcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }
        watcher.Close();
    }

    public void CloseAllWatches()
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Close();
            }
            _watchers.Clear();
        }
    }

    /// <summary>Forgets all history: a watch from any resourceVersion older than the current one gets 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _compactedResourceVersion = _resourceVersion;
        }
    }

    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Bookmark(_resourceVersion);
            }
        }
    }

    private void Emit(ResourceKey key, string type, JsonObject obj, JsonObject? old)
    {
        var stored = new StoredEvent(_resourceVersion, key, type, obj, old);
        _history.Add(stored);
        if (_history.Count > historyLimit)
        {
            _compactedResourceVersion = _history[0].ResourceVersion;
            _history.RemoveAt(0);
        }
        foreach (var watcher in _watchers)
        {
            watcher.Deliver(stored);
        }
    }

    private void RegisterCrd(JsonObject crd)
    {
        var spec = crd["spec"];
        var group = (string?)spec?["group"] ?? "";
        var plural = (string?)spec?["names"]?["plural"] ?? "";
        var type = new ResourceType(group, plural);
        if ((string?)spec?["names"]?["kind"] is { } kind)
        {
            _kinds[type] = kind;
        }
        var hasStatus = spec?["versions"] is JsonArray versions && versions.Any(v => v?["subresources"]?["status"] is not null);
        _statusSubresource[type] = hasStatus;
    }

    private void UnregisterCrd(JsonObject crd)
    {
        var spec = crd["spec"];
        _statusSubresource.Remove(new ResourceType((string?)spec?["group"] ?? "", (string?)spec?["names"]?["plural"] ?? ""));
    }

    private static long Version(JsonObject obj) =>
        long.Parse((string?)obj["metadata"]?["resourceVersion"] ?? "0", CultureInfo.InvariantCulture);

    internal static string Line(string type, JsonObject obj) => $"{{\"type\":\"{type}\",\"object\":{obj.ToJsonString()}}}";
}

internal sealed record StoredEvent(long ResourceVersion, ResourceKey Key, string Type, JsonObject Object, JsonObject? Old);

/// <summary>One open watch: a filter and a queue of serialized event lines the HTTP layer drains.</summary>
internal sealed class Watcher(ResourceType type, string? ns, LabelSelectorMatcher matcher, bool allowBookmarks, string apiVersion, string? kind)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<string> Lines => _lines.Reader;

    public bool Wants(ResourceKey key) => key.Type == type && (ns is null || key.Namespace == ns);

    public void Send(string line) => _lines.Writer.TryWrite(line);

    public void Close() => _lines.Writer.TryComplete();

    /// <summary>Selector changes become ADDED/DELETED for this watcher, as the real server does.</summary>
    public void Deliver(StoredEvent stored)
    {
        if (!Wants(stored.Key))
        {
            return;
        }
        var matchesNow = matcher.Matches(stored.Object);
        var type = stored.Type;
        if (type == "MODIFIED" && stored.Old is not null)
        {
            var matchedBefore = matcher.Matches(stored.Old);
            type = (matchedBefore, matchesNow) switch
            {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                _ => "",
            };
            if (type.Length == 0)
            {
                return;
            }
        }
        else if (!matchesNow)
        {
            return;
        }
        Send(ObjectStore.Line(type, stored.Object));
    }

    public void Bookmark(long resourceVersion)
    {
        if (!allowBookmarks)
        {
            return;
        }
        var obj = new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
        };
        Send(ObjectStore.Line("BOOKMARK", obj));
    }
}
