namespace KafkaOperator.Kube.Models;

[KubeResource("", "v1", "configmaps", "ConfigMap")]
public sealed class ConfigMap : KubeObject
{
    public Dictionary<string, string>? Data { get; set; }
    public Dictionary<string, byte[]>? BinaryData { get; set; }
    public bool? Immutable { get; set; }
}

[KubeResource("", "v1", "secrets", "Secret")]
public sealed class Secret : KubeObject
{
    public string? Type { get; set; }

    /// <summary>Values are base64 on the wire; System.Text.Json encodes byte[] that way.</summary>
    public Dictionary<string, byte[]>? Data { get; set; }

    public Dictionary<string, string>? StringData { get; set; }
    public bool? Immutable { get; set; }
}

[KubeResource("", "v1", "namespaces", "Namespace", Namespaced = false)]
public sealed class Namespace : KubeObject
{
    public NamespaceSpec? Spec { get; set; }
    public NamespaceStatus? Status { get; set; }
}

public sealed class NamespaceSpec
{
    public List<string>? Finalizers { get; set; }
}

public sealed class NamespaceStatus
{
    public string? Phase { get; set; }
}
