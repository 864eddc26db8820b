using System.Text.Json.Nodes;
using k8s.Models;

namespace KafkaOperator.Kube.Testing;

/// <summary>The patch types the fake server speaks.</summary>
internal enum PatchKind
{
    Merge,
    StrategicMerge,
    Apply,
}

/// <summary>
/// metadata.managedFields as the apiserver keeps it: one entry per manager and operation (Apply, Update), each with
/// the fields it set. Server-side apply merges an intent into the object, removes the fields the manager applied
/// before and no longer does (unless another manager owns them too), and answers 409 naming the other manager when
/// the intent changes a field that manager owns (unless forced, which takes the field over). Other writes take over
/// the fields whose values they change.
/// </summary>
internal sealed partial class ObjectStore
{
    private sealed record ManagedEntry(string Manager, string Operation, string? Subresource, string ApiVersion, string Time, HashSet<string> Fields);

    private JsonObject ApplyIntent(ResourceKey key, JsonObject? existing, JsonObject intent, string manager, bool force, string? subresource, string apiVersion)
    {
        var config = (JsonObject)intent.DeepClone();
        NormalizeQuantities(key.Type, config);
        var status = subresource == "status";
        var applied = FieldSet.Of(config, includeStatus: status || !HasStatusSubresource(key.Type));
        if (status)
        {
            applied.RemoveWhere(f => !f.StartsWith("f:status", StringComparison.Ordinal));
        }
        var entries = ReadManagedFields(existing);
        var current = existing ?? new JsonObject();

        var conflicts = new List<(string Manager, string Field)>();
        foreach (var entry in entries.Where(e => !(e.Manager == manager && e.Operation == "Apply")))
        {
            foreach (var field in entry.Fields.Where(applied.Contains))
            {
                if (!JsonNode.DeepEquals(FieldSet.Get(current, field), FieldSet.Get(config, field)) && !IsKeyedItem(field))
                {
                    conflicts.Add((entry.Manager, field));
                }
            }
        }
        if (conflicts.Count > 0 && !force)
        {
            throw ApplyConflict(conflicts, apiVersion);
        }
        foreach (var (other, field) in conflicts)
        {
            foreach (var entry in entries.Where(e => e.Manager == other))
            {
                entry.Fields.Remove(field);
            }
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);
        var merged = (JsonObject)FieldSet.Merge(current, config, null, nullRemoves: false)!;
        if (mine is not null)
        {
            var others = entries.Where(e => e != mine).SelectMany(e => e.Fields).ToHashSet(StringComparer.Ordinal);
            foreach (var field in mine.Fields.Except(applied).OrderByDescending(f => f.Length))
            {
                if (!others.Contains(field) && !others.Any(o => o.StartsWith(field + FieldSet.Sep, StringComparison.Ordinal)))
                {
                    FieldSet.Remove(merged, field);
                }
            }
            entries.Remove(mine);
        }
        var stamp = mine is not null && mine.Fields.SetEquals(applied) ? mine.Time : FormatTime(time.GetUtcNow());
        entries.Add(new ManagedEntry(manager, "Apply", subresource, apiVersion, stamp, applied));
        WriteManagedFields(merged, entries);
        return merged;
    }

    /// <summary>After a create, update or patch: the writer owns the fields whose values it changed.</summary>
    private void TrackUpdate(ResourceType type, JsonObject? before, JsonObject after, string manager, string? subresource, string apiVersion)
    {
        NormalizeQuantities(type, after);
        var entries = after["metadata"]?["managedFields"] is JsonArray ? ReadManagedFields(after) : ReadManagedFields(before);
        var includeStatus = subresource == "status" || !HasStatusSubresource(type);
        var changed = FieldSet.Of(after, includeStatus)
            .Where(f => before is null || !JsonNode.DeepEquals(FieldSet.Get(before, f), FieldSet.Get(after, f)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            entry.Fields.RemoveWhere(f => (entry.Manager != manager && changed.Contains(f)) || FieldSet.Get(after, f) is null);
        }
        if (changed.Count > 0)
        {
            var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
            entries.Remove(mine!);
            var fields = mine?.Fields ?? new HashSet<string>(StringComparer.Ordinal);
            fields.UnionWith(changed);
            entries.Add(new ManagedEntry(manager, "Update", subresource, apiVersion, FormatTime(time.GetUtcNow()), fields));
        }
        WriteManagedFields(after, entries);
    }

    private static bool IsKeyedItem(string field) => field.Split(FieldSet.Sep)[^1].StartsWith("k:", StringComparison.Ordinal);

    private static ApiError ApplyConflict(List<(string Manager, string Field)> conflicts, string apiVersion)
    {
        var byManager = conflicts.GroupBy(c => c.Manager).ToList();
        var lines = conflicts.Count == 1
            ? $"conflict with \"{conflicts[0].Manager}\" using {apiVersion}: {FieldSet.Describe(conflicts[0].Field)}"
            : string.Join("\n", byManager.Select(g => $"conflicts with \"{g.Key}\" using {apiVersion}:\n" + string.Join("\n", g.Select(c => "- " + FieldSet.Describe(c.Field)))));
        return new ApiError(409, "Conflict", $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: {lines}");
    }

    private static List<ManagedEntry> ReadManagedFields(JsonObject? obj)
    {
        var list = new List<ManagedEntry>();
        if (obj?["metadata"]?["managedFields"] is not JsonArray managed)
        {
            return list;
        }
        foreach (var entry in managed.OfType<JsonObject>())
        {
            list.Add(new ManagedEntry((string?)entry["manager"] ?? "", (string?)entry["operation"] ?? "Update", (string?)entry["subresource"],
                (string?)entry["apiVersion"] ?? "", (string?)entry["time"] ?? "", FieldSet.FromFieldsV1(entry["fieldsV1"] as JsonObject)));
        }
        return list;
    }

    private static void WriteManagedFields(JsonObject obj, List<ManagedEntry> entries)
    {
        var managed = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var entry = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = FieldSet.ToFieldsV1(e.Fields),
            };
            if (e.Subresource is not null)
            {
                entry["subresource"] = e.Subresource;
            }
            managed.Add(entry);
        }
        Meta(obj)["managedFields"] = managed;
    }

    /// <summary>
    /// Resource quantities of built-in kinds come back in canonical form (`cpu: 0.5` is stored as `500m`, `1Gi`
    /// stays), as the apiserver's decoding does; custom resources keep what was sent.
    /// </summary>
    internal static void NormalizeQuantities(ResourceType type, JsonNode? node, string? field = null)
    {
        if (!type.IsBuiltIn)
        {
            return;
        }
        switch (node)
        {
            case JsonObject obj when field is "limits" or "requests" or "capacity" or "allocatable":
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (obj[name] is JsonValue value)
                    {
                        obj[name] = Canonical(value);
                    }
                }
                break;
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (name == "sizeLimit" && obj[name] is JsonValue size)
                    {
                        obj[name] = Canonical(size);
                    }
                    else
                    {
                        NormalizeQuantities(type, obj[name], name);
                    }
                }
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    NormalizeQuantities(type, item, null);
                }
                break;
        }
    }

    private static string Canonical(JsonValue value)
    {
        var text = value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        try
        {
            return new ResourceQuantity(text).ToString();
        }
        catch (FormatException)
        {
            throw ApiError.Invalid($"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text}");
        }
    }
}
