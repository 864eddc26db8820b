using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaOperator.Kube.Models;

public sealed class PodTemplateSpec
{
    public ObjectMeta? Metadata { get; set; }
    public PodSpec? Spec { get; set; }
}

public sealed class PodSpec
{
    public List<Container> Containers { get; set; } = [];
    public List<Container>? InitContainers { get; set; }
    public List<Volume>? Volumes { get; set; }
    public string? ServiceAccountName { get; set; }
    public long? TerminationGracePeriodSeconds { get; set; }
    public string? RestartPolicy { get; set; }
    public string? Hostname { get; set; }
    public string? Subdomain { get; set; }
    public string? PriorityClassName { get; set; }
    public Dictionary<string, string>? NodeSelector { get; set; }
    public JsonElement? Affinity { get; set; }
    public JsonElement? Tolerations { get; set; }
    public JsonElement? TopologySpreadConstraints { get; set; }
    public JsonElement? SecurityContext { get; set; }
    public string? NodeName { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class Container
{
    public string Name { get; set; } = "";
    public string? Image { get; set; }
    public string? ImagePullPolicy { get; set; }
    public List<string>? Command { get; set; }
    public List<string>? Args { get; set; }
    public string? WorkingDir { get; set; }
    public List<EnvVar>? Env { get; set; }
    public List<ContainerPort>? Ports { get; set; }
    public ResourceRequirements? Resources { get; set; }
    public List<VolumeMount>? VolumeMounts { get; set; }
    public Probe? ReadinessProbe { get; set; }
    public Probe? LivenessProbe { get; set; }
    public Probe? StartupProbe { get; set; }
    public JsonElement? SecurityContext { get; set; }
    public JsonElement? Lifecycle { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class EnvVar
{
    public string Name { get; set; } = "";
    public string? Value { get; set; }

    /// <summary>fieldRef / secretKeyRef / configMapKeyRef, kept as raw JSON.</summary>
    public JsonElement? ValueFrom { get; set; }
}

public sealed class ContainerPort
{
    public string? Name { get; set; }

    [JsonPropertyName("containerPort")]
    public int Port { get; set; }

    public string? Protocol { get; set; }
}

public sealed class ResourceRequirements
{
    public Dictionary<string, string>? Limits { get; set; }
    public Dictionary<string, string>? Requests { get; set; }
}

public sealed class VolumeMount
{
    public string Name { get; set; } = "";
    public string MountPath { get; set; } = "";
    public string? SubPath { get; set; }
    public bool? ReadOnly { get; set; }
}

public sealed class Probe
{
    public ExecAction? Exec { get; set; }
    public TcpSocketAction? TcpSocket { get; set; }
    public HttpGetAction? HttpGet { get; set; }
    public int? InitialDelaySeconds { get; set; }
    public int? PeriodSeconds { get; set; }
    public int? TimeoutSeconds { get; set; }
    public int? FailureThreshold { get; set; }
    public int? SuccessThreshold { get; set; }
}

public sealed class ExecAction
{
    public List<string>? Command { get; set; }
}

public sealed class TcpSocketAction
{
    public IntOrString Port { get; set; }
    public string? Host { get; set; }
}

public sealed class HttpGetAction
{
    public string? Path { get; set; }
    public IntOrString Port { get; set; }
    public string? Scheme { get; set; }
}

public sealed class Volume
{
    public string Name { get; set; } = "";
    public ConfigMapVolumeSource? ConfigMap { get; set; }
    public SecretVolumeSource? Secret { get; set; }
    public EmptyDirVolumeSource? EmptyDir { get; set; }
    public PersistentVolumeClaimVolumeSource? PersistentVolumeClaim { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

public sealed class KeyToPath
{
    public string Key { get; set; } = "";
    public string Path { get; set; } = "";
    public int? Mode { get; set; }
}

public sealed class ConfigMapVolumeSource
{
    public string? Name { get; set; }
    public List<KeyToPath>? Items { get; set; }
    public int? DefaultMode { get; set; }
    public bool? Optional { get; set; }
}

public sealed class SecretVolumeSource
{
    public string? SecretName { get; set; }
    public List<KeyToPath>? Items { get; set; }
    public int? DefaultMode { get; set; }
    public bool? Optional { get; set; }
}

public sealed class EmptyDirVolumeSource
{
    public string? Medium { get; set; }
    public string? SizeLimit { get; set; }
}

public sealed class PersistentVolumeClaimVolumeSource
{
    public string ClaimName { get; set; } = "";
    public bool? ReadOnly { get; set; }
}
