using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace KafkaOperator.Kube.Tests;

/// <summary>A custom resource for the tests: spec drives generation, status lives in the subresource.</summary>
[KubernetesEntity(Group = "test.example.com", ApiVersion = "v1", Kind = "Widget", PluralName = "widgets")]
public sealed class Widget : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "test.example.com/v1";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Widget";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    public WidgetSpec? Spec { get; set; }
    public WidgetStatus? Status { get; set; }

    public static Widget Make(string ns, string name, int size = 1, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { NamespaceProperty = ns, Name = name, Labels = labels },
        Spec = new WidgetSpec { Size = size },
    };
}

public sealed class WidgetSpec
{
    public int Size { get; set; }
    public string? Color { get; set; }
}

public sealed class WidgetStatus
{
    public string? Phase { get; set; }
    public long? ObservedGeneration { get; set; }
}

[KubernetesEntity(Group = "test.example.com", ApiVersion = "v1", Kind = "Gadget", PluralName = "gadgets")]
public sealed class Gadget : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "test.example.com/v1";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Gadget";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    public WidgetSpec? Spec { get; set; }
    public WidgetStatus? Status { get; set; }
}
