using System.Globalization;
using System.Text.Json.Nodes;

namespace KafkaOperator.Kube.Testing;

/// <summary>
/// The fake server's state: every object of every type as JSON, under one lock, with one resourceVersion counter
/// (like etcd's revision). Stored JsonObjects are never mutated after commit: every change works on a clone, and
/// everything handed out is serialized under the lock, so readers never see a half-made change.
/// Errors are thrown as <see cref="ApiError"/> and answered as a Status by the HTTP layer.
/// </summary>
internal sealed partial class ObjectStore(TimeProvider time, int historyLimit)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ResourceKey, JsonObject> _objects = [];
    private readonly Dictionary<string, ResourceKey> _byUid = [];
    private readonly Dictionary<ResourceType, string> _kinds = [];
    private readonly Dictionary<ResourceType, bool> _statusSubresource = [];
    private readonly Dictionary<string, string> _pendingPropagation = [];
    // Not 0: "0" means "any version" to a watch, so a list of an empty store must not hand it out.
    private long _resourceVersion = 100;

    public long ResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    public void SetStatusSubresource(ResourceType type, bool enabled)
    {
        lock (_lock)
        {
            _statusSubresource[type] = enabled;
        }
    }

    public string Get(ResourceKey key)
    {
        lock (_lock)
        {
            return (_objects.GetValueOrDefault(key) ?? throw ApiError.NotFound(key)).ToJsonString();
        }
    }

    /// <summary>
    /// Lists matching objects in namespace/name order. With <paramref name="limit"/>, answers one page and a continue
    /// token (the offset of the next page; unlike the real server, later pages see the current state, not a snapshot).
    /// </summary>
    public string List(ApiPath path, string? labelSelector, int? limit = null, string? continueToken = null)
    {
        var matcher = ParseSelector(labelSelector);
        var offset = 0;
        if (!string.IsNullOrEmpty(continueToken) && !int.TryParse(continueToken, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw ApiError.BadRequest($"invalid continue token '{continueToken}'");
        }
        lock (_lock)
        {
            var matching = _objects
                .Where(o => o.Key.Type == path.Type && (path.Namespace is null || o.Key.Namespace == path.Namespace) && matcher.Matches(o.Value))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => o.Value)
                .ToList();
            var page = matching.Skip(offset).Take(limit is > 0 ? limit.Value : int.MaxValue).Select(o => o.ToJsonString()).ToList();
            var next = offset + page.Count < matching.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null;
            var kind = _kinds.GetValueOrDefault(path.Type, "") + "List";
            var continueJson = next is null ? "" : $",\"continue\":\"{next}\",\"remainingItemCount\":{matching.Count - offset - page.Count}";
            return $"{{\"kind\":\"{kind}\",\"apiVersion\":\"{path.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{_resourceVersion}\"{continueJson}}},\"items\":[{string.Join(',', page)}]}}";
        }
    }

    public string Create(ApiPath path, JsonObject body, string manager)
    {
        lock (_lock)
        {
            return CreateLocked(path, body, manager).ToJsonString();
        }
    }

    public string Update(ApiPath path, JsonObject body, string manager)
    {
        lock (_lock)
        {
            var key = path.Key();
            var existing = _objects.GetValueOrDefault(key) ?? throw ApiError.NotFound(key);
            CheckIdentity(key, body);
            CheckResourceVersion(key, existing, body);
            var updated = Compose(key.Type, existing, body, path.Subresource);
            TrackUpdate(key.Type, existing, updated, manager, path.Subresource, path.ApiVersion);
            return CommitUpdate(key, existing, updated).ToJsonString();
        }
    }

    public string Patch(ApiPath path, JsonObject patch, PatchKind kind, string manager, bool force)
    {
        lock (_lock)
        {
            var key = path.Key();
            if (!_objects.TryGetValue(key, out var existing))
            {
                if (kind == PatchKind.Apply && path.Subresource is null)
                {
                    CheckIdentity(key, patch);
                    var intended = ApplyIntent(key, null, patch, manager, force, null, path.ApiVersion);
                    return CreateLocked(path, intended, manager: null).ToJsonString();
                }
                throw ApiError.NotFound(key);
            }
            CheckIdentity(key, patch);
            CheckResourceVersion(key, existing, patch);
            if (kind == PatchKind.Apply)
            {
                var applied = ApplyIntent(key, existing, patch, manager, force, path.Subresource, path.ApiVersion);
                return CommitUpdate(key, existing, Compose(key.Type, existing, applied, path.Subresource)).ToJsonString();
            }
            var merged = kind == PatchKind.Merge
                ? (JsonObject)JsonMergePatch.Apply(existing, patch)!
                : (JsonObject)FieldSet.Merge(existing, patch, null, nullRemoves: true)!;
            var updated = Compose(key.Type, existing, merged, path.Subresource);
            TrackUpdate(key.Type, existing, updated, manager, path.Subresource, path.ApiVersion);
            return CommitUpdate(key, existing, updated).ToJsonString();
        }
    }

    public string Delete(ResourceKey key, string? propagationPolicy, string? preconditionUid, string? preconditionResourceVersion)
    {
        lock (_lock)
        {
            var existing = _objects.GetValueOrDefault(key) ?? throw ApiError.NotFound(key);
            var meta = Meta(existing);
            if (preconditionUid is not null && preconditionUid != (string?)meta["uid"])
            {
                throw ApiError.Conflict(key);
            }
            if (preconditionResourceVersion is not null && preconditionResourceVersion != (string?)meta["resourceVersion"])
            {
                throw ApiError.Conflict(key);
            }
            return DeleteLocked(key, existing, propagationPolicy).ToJsonString();
        }
    }

    private JsonObject CreateLocked(ApiPath path, JsonObject body, string? manager)
    {
        var obj = (JsonObject)body.DeepClone();
        var meta = Meta(obj);
        if (path.Namespace is not null)
        {
            var bodyNamespace = (string?)meta["namespace"];
            if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != path.Namespace)
            {
                throw ApiError.BadRequest($"the namespace of the provided object ({bodyNamespace}) does not match the namespace sent on the request ({path.Namespace})");
            }
            meta["namespace"] = path.Namespace;
        }
        else
        {
            meta.Remove("namespace");
        }
        var name = (string?)meta["name"];
        if (string.IsNullOrEmpty(name))
        {
            var generateName = (string?)meta["generateName"];
            if (string.IsNullOrEmpty(generateName))
            {
                throw ApiError.Invalid("metadata.name: Required value: name or generateName is required");
            }
            name = generateName + Guid.NewGuid().ToString("N")[..5];
            meta["name"] = name;
        }
        var key = path.Key(name);
        if (_objects.ContainsKey(key))
        {
            throw ApiError.AlreadyExists(key);
        }
        obj["apiVersion"] ??= path.ApiVersion;
        if ((string?)obj["kind"] is { Length: > 0 } kind)
        {
            _kinds[path.Type] = kind;
        }
        else if (_kinds.TryGetValue(path.Type, out var knownKind))
        {
            obj["kind"] = knownKind;
        }
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = FormatTime(time.GetUtcNow());
        meta["generation"] = 1L;
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        if (HasStatusSubresource(path.Type))
        {
            obj.Remove("status");
        }
        if (path.Type == CrdType)
        {
            RegisterCrd(obj);
        }
        if (manager is not null)
        {
            TrackUpdate(path.Type, null, obj, manager, null, path.ApiVersion);
        }
        Commit(key, obj, "ADDED", null);
        return obj;
    }

    /// <summary>Builds the candidate object of an update: status-only for the subresource, status kept otherwise.</summary>
    private JsonObject Compose(ResourceType type, JsonObject existing, JsonObject incoming, string? subresource)
    {
        JsonObject updated;
        if (subresource == "status")
        {
            updated = (JsonObject)existing.DeepClone();
            updated["status"] = incoming["status"]?.DeepClone();
            if (updated["status"] is null)
            {
                updated.Remove("status");
            }
            return updated;
        }
        if (subresource is not null)
        {
            throw new ApiError(404, "NotFound", $"the fake server has no subresource '{subresource}'");
        }
        updated = (JsonObject)incoming.DeepClone();
        var meta = Meta(updated);
        var oldMeta = Meta(existing);
        foreach (var field in (string[])["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"])
        {
            meta.Remove(field);
            if (oldMeta[field] is { } value)
            {
                meta[field] = value.DeepClone();
            }
        }
        updated["apiVersion"] ??= existing["apiVersion"]?.DeepClone();
        updated["kind"] ??= existing["kind"]?.DeepClone();
        if (HasStatusSubresource(type))
        {
            updated.Remove("status");
            if (existing["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
        }
        if (oldMeta["deletionTimestamp"] is not null && Finalizers(updated).Except(Finalizers(existing)).Any())
        {
            throw ApiError.Invalid("metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted");
        }
        return updated;
    }

    private JsonObject CommitUpdate(ResourceKey key, JsonObject existing, JsonObject updated)
    {
        var meta = Meta(updated);
        var generation = (long?)Meta(existing)["generation"] ?? 1;
        meta["generation"] = SpecChanged(existing, updated) ? generation + 1 : generation;
        meta["resourceVersion"] = Meta(existing)["resourceVersion"]?.DeepClone();
        if (JsonNode.DeepEquals(existing, updated))
        {
            // A no-op write keeps the resourceVersion and emits no event, like the real server.
            return existing;
        }
        if (meta["deletionTimestamp"] is not null && Finalizers(updated).Count == 0)
        {
            Remove(key, updated);
            return updated;
        }
        Commit(key, updated, "MODIFIED", existing);
        return updated;
    }

    private JsonObject DeleteLocked(ResourceKey key, JsonObject existing, string? propagationPolicy)
    {
        if (Meta(existing)["deletionTimestamp"] is not null)
        {
            // Already being deleted (only objects with finalizers stay in that state).
            return existing;
        }
        if (propagationPolicy == "Foreground" && HasDependents((string)Meta(existing)["uid"]!))
        {
            return DeleteForeground(key, existing);
        }
        if (Finalizers(existing).Count == 0)
        {
            var removed = (JsonObject)existing.DeepClone();
            if (propagationPolicy is not null)
            {
                _pendingPropagation[(string)Meta(existing)["uid"]!] = propagationPolicy;
            }
            Remove(key, removed);
            return removed;
        }
        var marked = (JsonObject)existing.DeepClone();
        Meta(marked)["deletionTimestamp"] = FormatTime(time.GetUtcNow());
        Meta(marked)["deletionGracePeriodSeconds"] = 0L;
        if (propagationPolicy is not null)
        {
            _pendingPropagation[(string)Meta(marked)["uid"]!] = propagationPolicy;
        }
        Commit(key, marked, "MODIFIED", existing);
        return marked;
    }

    private void Commit(ResourceKey key, JsonObject obj, string eventType, JsonObject? old)
    {
        Meta(obj)["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
        _objects[key] = obj;
        _byUid[(string)Meta(obj)["uid"]!] = key;
        Emit(key, eventType, obj, old);
    }

    private void Remove(ResourceKey key, JsonObject finalState)
    {
        Meta(finalState)["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
        _objects.Remove(key);
        var uid = (string)Meta(finalState)["uid"]!;
        _byUid.Remove(uid);
        Emit(key, "DELETED", finalState, null);
        if (key.Type == CrdType)
        {
            UnregisterCrd(finalState);
        }
        CollectGarbage(uid);
        foreach (var ownerUid in OwnerUids(finalState))
        {
            FinishForegroundDeletion(ownerUid);
        }
    }

    private static void CheckIdentity(ResourceKey key, JsonObject body)
    {
        var name = (string?)body["metadata"]?["name"];
        if (!string.IsNullOrEmpty(name) && name != key.Name)
        {
            throw ApiError.BadRequest($"the name of the object ({name}) does not match the name on the URL ({key.Name})");
        }
    }

    private static void CheckResourceVersion(ResourceKey key, JsonObject existing, JsonObject body)
    {
        var wanted = (string?)body["metadata"]?["resourceVersion"];
        if (!string.IsNullOrEmpty(wanted) && wanted != (string?)Meta(existing)["resourceVersion"])
        {
            throw ApiError.Conflict(key);
        }
    }

    /// <summary>Generation follows everything but metadata and status (spec, data, rules ...), as for custom resources.</summary>
    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        static JsonObject Strip(JsonObject obj)
        {
            var copy = (JsonObject)obj.DeepClone();
            copy.Remove("metadata");
            copy.Remove("status");
            copy.Remove("apiVersion");
            copy.Remove("kind");
            return copy;
        }
        return !JsonNode.DeepEquals(Strip(before), Strip(after));
    }

    private bool HasStatusSubresource(ResourceType type) => _statusSubresource.GetValueOrDefault(type, true);

    private static LabelSelectorMatcher ParseSelector(string? selector)
    {
        try
        {
            return LabelSelectorMatcher.Parse(selector);
        }
        catch (FormatException e)
        {
            throw ApiError.BadRequest($"unable to parse requirement: {e.Message}");
        }
    }

    internal static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }
        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    private static List<string> Finalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray array ? array.Select(f => (string?)f ?? "").ToList() : [];

    internal static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
