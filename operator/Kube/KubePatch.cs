using System.Text.Json;
using System.Text.Json.Nodes;

namespace KafkaOperator.Kube;

/// <summary>A PATCH body with its content type: JSON merge patch or server-side apply.</summary>
public sealed record KubePatch
{
    public const string MergePatchContentType = "application/merge-patch+json";
    public const string ApplyPatchContentType = "application/apply-patch+yaml";

    private KubePatch(string contentType, string body)
    {
        ContentType = contentType;
        Body = body;
    }

    public string ContentType { get; }

    /// <summary>The serialized body. Apply patches are sent as JSON, which is valid YAML.</summary>
    public string Body { get; }

    /// <summary>Required for apply patches; optional for merge patches.</summary>
    public string? FieldManager { get; init; }

    /// <summary>Apply only: take ownership of fields other managers own.</summary>
    public bool Force { get; init; }

    /// <summary>"status" to patch the status subresource.</summary>
    public string? Subresource { get; init; }

    /// <summary>RFC 7386 merge patch: objects merge, null removes a field, arrays replace.</summary>
    public static KubePatch Merge(JsonNode patch, string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(patch);
        return new KubePatch(MergePatchContentType, patch.ToJsonString()) { Subresource = subresource };
    }

    /// <summary>A merge patch from any object, serialized with the Kubernetes JSON conventions (nulls omitted).</summary>
    public static KubePatch Merge(object patch, string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var json = patch is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(patch, patch.GetType(), KubeJson.Options);
        return new KubePatch(MergePatchContentType, json) { Subresource = subresource };
    }

    /// <summary>
    /// Server-side apply of a full intent (must include apiVersion, kind and metadata.name). Server-owned metadata
    /// (managedFields, resourceVersion, uid, creationTimestamp, generation) is dropped, so an object read from the
    /// server can be applied as is: the API rejects an apply that carries managedFields.
    /// </summary>
    public static KubePatch Apply(object configuration, string fieldManager, bool force = true, string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(fieldManager);
        var node = configuration as JsonNode ?? JsonSerializer.SerializeToNode(configuration, configuration.GetType(), KubeJson.Options);
        if (node?["metadata"] is JsonObject metadata)
        {
            metadata = (JsonObject)metadata.DeepClone();
            foreach (var field in (string[])["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"])
            {
                metadata.Remove(field);
            }
            var copy = (JsonObject)node.DeepClone();
            copy["metadata"] = metadata;
            node = copy;
        }
        var json = node?.ToJsonString() ?? "null";
        return new KubePatch(ApplyPatchContentType, json) { FieldManager = fieldManager, Force = force, Subresource = subresource };
    }
}
