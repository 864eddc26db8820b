using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

[KubeResource("", "v1", "services", "Service")]
public sealed class Service : KubeObject
{
    public ServiceSpec? Spec { get; set; }
    public JsonElement? Status { get; set; }
}

public sealed class ServiceSpec
{
    /// <summary>ClusterIP (default), NodePort, LoadBalancer or ExternalName.</summary>
    public string? Type { get; set; }

    /// <summary>"None" makes a headless service (per-pod DNS for a StatefulSet).</summary>
    public string? ClusterIP { get; set; }

    public Dictionary<string, string>? Selector { get; set; }
    public List<ServicePort>? Ports { get; set; }
    public bool? PublishNotReadyAddresses { get; set; }
    public string? SessionAffinity { get; set; }
    public string? ExternalTrafficPolicy { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class ServicePort
{
    public string? Name { get; set; }
    public string? Protocol { get; set; }
    public int Port { get; set; }
    public IntOrString? TargetPort { get; set; }
    public int? NodePort { get; set; }
    public string? AppProtocol { get; set; }
}
