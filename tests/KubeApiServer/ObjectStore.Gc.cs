using System.Text.Json.Nodes;

namespace KafkaOperator.Kube.Testing;

/// <summary>Owner-reference garbage collection, run synchronously inside the store's lock after each removal.</summary>
internal sealed partial class ObjectStore
{
    private const string ForegroundFinalizer = "foregroundDeletion";

    /// <summary>
    /// Background garbage collection: dependents whose owners are all gone are deleted (recursively through
    /// DeleteLocked); with the Orphan policy the owner's references are stripped from its dependents instead.
    /// </summary>
    private void CollectGarbage(string removedUid)
    {
        var policy = _pendingPropagation.GetValueOrDefault(removedUid, "Background");
        _pendingPropagation.Remove(removedUid);
        var dependents = _objects.Where(o => OwnerUids(o.Value).Contains(removedUid)).ToList();
        foreach (var (key, dependent) in dependents)
        {
            if (!_objects.TryGetValue(key, out var current) || current != dependent)
            {
                continue;
            }
            if (policy == "Orphan")
            {
                var updated = (JsonObject)current.DeepClone();
                var refs = (JsonArray)Meta(updated)["ownerReferences"]!;
                foreach (var reference in refs.Where(r => (string?)r?["uid"] == removedUid).ToList())
                {
                    refs.Remove(reference);
                }
                if (refs.Count == 0)
                {
                    Meta(updated).Remove("ownerReferences");
                }
                Commit(key, updated, "MODIFIED", current);
            }
            else if (OwnerUids(current).All(uid => !_byUid.ContainsKey(uid)) && Meta(current)["deletionTimestamp"] is null)
            {
                DeleteLocked(key, current, "Background");
            }
        }
    }

    private static List<string> OwnerUids(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs ? refs.Select(r => (string?)r?["uid"] ?? "").ToList() : [];

    /// <summary>
    /// Foreground deletion: the owner gets a deletionTimestamp and the foregroundDeletion finalizer, its dependents are
    /// deleted, and the owner goes once none is left (dependents with finalizers keep it until they are removed).
    /// </summary>
    private JsonObject DeleteForeground(ResourceKey key, JsonObject existing)
    {
        var uid = (string)Meta(existing)["uid"]!;
        var marked = (JsonObject)existing.DeepClone();
        var meta = Meta(marked);
        meta["deletionTimestamp"] = FormatTime(time.GetUtcNow());
        meta["deletionGracePeriodSeconds"] = 0L;
        if (meta["finalizers"] is not JsonArray finalizers)
        {
            finalizers = [];
            meta["finalizers"] = finalizers;
        }
        finalizers.Add(ForegroundFinalizer);
        Commit(key, marked, "MODIFIED", existing);
        foreach (var (dependentKey, dependent) in _objects.Where(o => OwnerUids(o.Value).Contains(uid)).ToList())
        {
            if (_objects.TryGetValue(dependentKey, out var current) && current == dependent)
            {
                DeleteLocked(dependentKey, current, "Foreground");
            }
        }
        FinishForegroundDeletion(uid);
        return _objects.GetValueOrDefault(key) ?? marked;
    }

    private void FinishForegroundDeletion(string ownerUid)
    {
        if (!_byUid.TryGetValue(ownerUid, out var key) || !_objects.TryGetValue(key, out var owner)
            || !Finalizers(owner).Contains(ForegroundFinalizer) || HasDependents(ownerUid))
        {
            return;
        }
        var updated = (JsonObject)owner.DeepClone();
        var finalizers = (JsonArray)Meta(updated)["finalizers"]!;
        finalizers.Remove(finalizers.First(f => (string?)f == ForegroundFinalizer));
        if (finalizers.Count == 0)
        {
            Meta(updated).Remove("finalizers");
        }
        CommitUpdate(key, owner, updated);
    }

    private bool HasDependents(string uid) => _objects.Values.Any(o => OwnerUids(o).Contains(uid));
}
