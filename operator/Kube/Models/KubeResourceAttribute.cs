namespace KafkaOperator.Kube.Models;

/// <summary>Maps a typed object to its REST resource: "" group for the core API.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class KubeResourceAttribute(string group, string version, string plural, string kind) : Attribute
{
    public string Group { get; } = group;
    public string Version { get; } = version;
    public string Plural { get; } = plural;
    public string Kind { get; } = kind;
    public bool Namespaced { get; set; } = true;
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}
