using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace KafkaOperator.Operator.Crds;

/// <summary>The type and object metadata every custom resource carries, as the library's models do.</summary>
public abstract class CustomResource : IKubernetesObject<V1ObjectMeta>
{
    protected CustomResource(string kind)
    {
        ApiVersion = CrdGroup.ApiVersion;
        Kind = kind;
    }

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string Kind { get; set; }

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}
