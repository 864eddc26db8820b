using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

[KubeResource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced = false)]
public sealed class CustomResourceDefinition : KubeObject
{
    public CustomResourceDefinitionSpec Spec { get; set; } = new();
    public CustomResourceDefinitionStatus? Status { get; set; }
}

public sealed class CustomResourceDefinitionSpec
{
    public string Group { get; set; } = "";
    public CustomResourceDefinitionNames Names { get; set; } = new();

    /// <summary>Namespaced or Cluster.</summary>
    public string Scope { get; set; } = "Namespaced";

    public List<CustomResourceDefinitionVersion> Versions { get; set; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class CustomResourceDefinitionNames
{
    public string Plural { get; set; } = "";
    public string? Singular { get; set; }
    public string Kind { get; set; } = "";
    public string? ListKind { get; set; }
    public List<string>? ShortNames { get; set; }
    public List<string>? Categories { get; set; }
}

public sealed class CustomResourceDefinitionVersion
{
    public string Name { get; set; } = "";
    public bool Served { get; set; } = true;
    public bool Storage { get; set; } = true;
    public CustomResourceValidation? Schema { get; set; }
    public CustomResourceSubresources? Subresources { get; set; }
    public JsonArray? AdditionalPrinterColumns { get; set; }
}

public sealed class CustomResourceValidation
{
    [JsonPropertyName("openAPIV3Schema")]
    public JsonObject? OpenApiV3Schema { get; set; }
}

public sealed class CustomResourceSubresources
{
    /// <summary>Present (an empty object) when the status subresource is enabled.</summary>
    public JsonObject? Status { get; set; }

    public JsonObject? Scale { get; set; }
}

public sealed class CustomResourceDefinitionStatus
{
    public List<Condition>? Conditions { get; set; }
    public CustomResourceDefinitionNames? AcceptedNames { get; set; }
    public List<string>? StoredVersions { get; set; }
}
