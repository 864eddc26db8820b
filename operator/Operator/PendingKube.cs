// TEMPORARY: the shape of the Kube contract from BRIEF.md so the operator compiles before wt/kube lands.
// Deleted when wt/kube is merged.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long Generation { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<string>? Finalizers { get; set; }
    public List<OwnerReference>? OwnerReferences { get; set; }
    public DateTimeOffset? DeletionTimestamp { get; set; }
    public DateTimeOffset? CreationTimestamp { get; set; }
}

public sealed class OwnerReference
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public string Uid { get; set; } = "";
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
}

public abstract class KubeObject
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class KubeResourceAttribute(string group, string version, string plural, string kind) : Attribute
{
    public string Group { get; } = group;
    public string Version { get; } = version;
    public string Plural { get; } = plural;
    public string Kind { get; } = kind;
    public bool Namespaced { get; set; } = true;
}

[KubeResource("", "v1", "configmaps", "ConfigMap")] public sealed class ConfigMap : KubeObject { }
[KubeResource("", "v1", "services", "Service")] public sealed class Service : KubeObject { }
[KubeResource("", "v1", "pods", "Pod")] public sealed class Pod : KubeObject { }
[KubeResource("apps", "v1", "statefulsets", "StatefulSet")] public sealed class StatefulSet : KubeObject { }
[KubeResource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")] public sealed class PodDisruptionBudget : KubeObject { }

public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
}

public sealed class KubeList<T>
{
    public ListMeta Metadata { get; set; } = new();
    public List<T> Items { get; set; } = [];
}


