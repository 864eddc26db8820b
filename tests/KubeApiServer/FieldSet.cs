using System.Text.Json.Nodes;

namespace KafkaOperator.Kube.Testing;

/// <summary>
/// The structure server-side apply works on, as the apiserver's structured-merge-diff does it for the shapes the
/// operator sends: maps merge by key, lists of objects with a merge key (containers by name, ports by port and
/// protocol, ...) merge by that key, every other list is atomic. A field is a path of "f:name" and, for keyed list
/// items, "k:{...}" segments: the FieldsV1 encoding of metadata.managedFields.
/// </summary>
internal static class FieldSet
{
    /// <summary>Separates the segments of a path ('/' occurs in label keys and in merge-key values).</summary>
    public const char Sep = '\u001f';

    // The list fields the built-in kinds merge by key (x-kubernetes-list-type: map, or patchMergeKey).
    private static readonly Dictionary<string, string[]> ListKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["imagePullSecrets"] = ["name"],
        ["ownerReferences"] = ["uid"],
        ["conditions"] = ["type"],
        ["topologySpreadConstraints"] = ["topologyKey", "whenUnsatisfiable"],
    };

    // Not part of any manager's fields: identity and server-owned metadata.
    private static readonly HashSet<string> Ignored = ["f:apiVersion", "f:kind", .. ((string[])["name", "namespace", "uid", "resourceVersion",
        "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"]).Select(f => "f:metadata" + Sep + "f:" + f)];

    /// <summary>The merge key fields of a list, or null for an atomic list.</summary>
    public static string[]? KeysOf(string field, JsonArray list)
    {
        if (list.Count == 0 || list.Any(i => i is not JsonObject))
        {
            return null;
        }
        if (field == "ports")
        {
            // Container ports merge by containerPort+protocol, service ports by port+protocol.
            return list[0]!["containerPort"] is not null ? ["containerPort", "protocol"] : ["port", "protocol"];
        }
        return ListKeys.GetValueOrDefault(field);
    }

    /// <summary>"k:{...}" for a keyed list item; protocol defaults to TCP, as the apiserver defaults it before merging.</summary>
    public static string ItemKey(JsonObject item, string[] keys)
    {
        var key = new JsonObject();
        foreach (var k in keys.Order(StringComparer.Ordinal))
        {
            var value = item[k]?.DeepClone() ?? (k == "protocol" ? JsonValue.Create("TCP") : null);
            if (value is not null)
            {
                key[k] = value;
            }
        }
        return "k:" + key.ToJsonString();
    }

    /// <summary>Every field an object (an apply configuration, or a written object) sets: leaves and keyed list items.</summary>
    public static HashSet<string> Of(JsonObject obj, bool includeStatus)
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        Collect(obj, "", null, fields);
        fields.RemoveWhere(f => Ignored.Contains(f) || (!includeStatus && (f == "f:status" || f.StartsWith("f:status" + Sep, StringComparison.Ordinal))));
        return fields;
    }

    private static void Collect(JsonNode? node, string path, string? field, HashSet<string> fields)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (name, value) in obj)
                {
                    if (value is not null)
                    {
                        Collect(value, Join(path, "f:" + name), name, fields);
                    }
                }
                return;
            case JsonArray list when field is not null && KeysOf(field, list) is { } keys:
                foreach (var item in list.Cast<JsonObject>())
                {
                    var itemPath = Join(path, ItemKey(item, keys));
                    fields.Add(itemPath);
                    Collect(item, itemPath, null, fields);
                }
                return;
            default:
                fields.Add(path);
                return;
        }
    }

    /// <summary>The value at a field path, or null.</summary>
    public static JsonNode? Get(JsonNode? node, string path)
    {
        foreach (var segment in path.Split(Sep))
        {
            node = Step(node, segment, out _, out _);
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }

    /// <summary>Removes the field at a path (a map entry or a keyed list item); missing paths are ignored.</summary>
    public static void Remove(JsonNode root, string path)
    {
        var segments = path.Split(Sep);
        JsonNode? node = root;
        for (var i = 0; i < segments.Length - 1 && node is not null; i++)
        {
            node = Step(node, segments[i], out _, out _);
        }
        var child = Step(node, segments[^1], out var parentObject, out var parentList);
        if (child is null)
        {
            return;
        }
        if (parentObject is not null)
        {
            parentObject.Remove(segments[^1][2..]);
        }
        else
        {
            parentList?.Remove(child);
        }
    }

    private static JsonNode? Step(JsonNode? node, string segment, out JsonObject? parentObject, out JsonArray? parentList)
    {
        parentObject = null;
        parentList = null;
        if (segment.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject obj)
        {
            parentObject = obj;
            return obj[segment[2..]];
        }
        if (segment.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray list)
        {
            var key = JsonNode.Parse(segment[2..])!.AsObject();
            var keys = key.Select(p => p.Key).ToArray();
            parentList = list;
            return list.OfType<JsonObject>().FirstOrDefault(i => ItemKey(i, keys) == segment);
        }
        return null;
    }

    /// <summary>
    /// Merges <paramref name="patch"/> into <paramref name="target"/>: maps by key, keyed lists by merge key (new items
    /// appended), anything else replaced. With <paramref name="nullRemoves"/> (strategic merge patch) a null value
    /// removes the field.
    /// </summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch, string? field, bool nullRemoves)
    {
        switch (patch)
        {
            case JsonObject p:
                var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
                foreach (var (name, value) in p)
                {
                    if (value is null)
                    {
                        if (nullRemoves)
                        {
                            result.Remove(name);
                        }
                        continue;
                    }
                    result[name] = Merge(result[name], value, name, nullRemoves);
                }
                return result;
            case JsonArray p when field is not null && target is JsonArray list && KeysOf(field, p) is { } keys && (list.Count == 0 || KeysOf(field, list) is not null):
                var merged = (JsonArray)list.DeepClone();
                foreach (var item in p.Cast<JsonObject>())
                {
                    var itemKey = ItemKey(item, keys);
                    var existing = merged.OfType<JsonObject>().FirstOrDefault(i => ItemKey(i, keys) == itemKey);
                    if (existing is null)
                    {
                        merged.Add(item.DeepClone());
                    }
                    else
                    {
                        merged[merged.IndexOf(existing)] = Merge(existing, item, null, nullRemoves);
                    }
                }
                return merged;
            default:
                return patch?.DeepClone();
        }
    }

    /// <summary>Encodes a field set as FieldsV1 (nested objects, "." marking a keyed list item itself).</summary>
    public static JsonObject ToFieldsV1(IEnumerable<string> fields)
    {
        var root = new JsonObject();
        foreach (var field in fields.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var segment in field.Split(Sep))
            {
                if (node[segment] is not JsonObject next)
                {
                    next = [];
                    node[segment] = next;
                }
                node = next;
            }
            if (field.Split(Sep)[^1].StartsWith("k:", StringComparison.Ordinal))
            {
                node["."] = new JsonObject();
            }
        }
        return root;
    }

    public static HashSet<string> FromFieldsV1(JsonObject? fieldsV1)
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonObject node, string path)
        {
            foreach (var (segment, child) in node)
            {
                if (segment == ".")
                {
                    fields.Add(path);
                    continue;
                }
                var childPath = Join(path, segment);
                if (child is JsonObject { Count: > 0 } c)
                {
                    Walk(c, childPath);
                }
                else
                {
                    fields.Add(childPath);
                }
            }
        }
        if (fieldsV1 is not null)
        {
            Walk(fieldsV1, "");
        }
        return fields;
    }

    /// <summary>".spec.template.spec.containers[name=\"broker\"].image": how the apiserver names a field in a conflict.</summary>
    public static string Describe(string path) => string.Concat(path.Split(Sep).Select(s =>
        s.StartsWith("f:", StringComparison.Ordinal) ? "." + s[2..]
        : "[" + string.Join(",", JsonNode.Parse(s[2..])!.AsObject().Select(p => $"{p.Key}={p.Value!.ToJsonString()}")) + "]"));

    private static string Join(string path, string segment) => path.Length == 0 ? segment : path + Sep + segment;
}
