using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

/// <summary>
/// Base of every typed object. Fields a type does not model land in <see cref="ExtensionData"/> and are written back
/// unchanged, so a read-modify-write never drops what the server (or another controller) set.
/// </summary>
public abstract class KubeObject
{
    protected KubeObject()
    {
        var info = ResourceInfo.TryOf(GetType());
        ApiVersion = info?.ApiVersion ?? "";
        Kind = info?.Kind ?? "";
    }

    public string ApiVersion { get; set; }
    public string Kind { get; set; }
    public ObjectMeta Metadata { get; set; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    [JsonIgnore]
    public string? Name => Metadata.Name;

    [JsonIgnore]
    public string? Namespace => Metadata.Namespace;
}

public sealed class KubeList<T> where T : KubeObject
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ListMeta Metadata { get; set; } = new();
    public List<T> Items { get; set; } = [];
}
