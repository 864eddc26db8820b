using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;

namespace KafkaOperator.Operator.Models;

/// <summary>
/// One object the cluster should (or, when <see cref="Absent"/>, should not) have. The body is plain JSON so the
/// models stay independent of how the typed client models each kind.
/// </summary>
public sealed record DesiredObject(Type ResourceType, string Name, JsonObject Body, bool Absent = false)
{
    public string Kind => Body["kind"]?.GetValue<string>() ?? ResourceType.Name;

    public static DesiredObject Of<T>(JsonObject body) where T : class, IKubernetesObject<V1ObjectMeta>, new()
        => new(typeof(T), body["metadata"]!["name"]!.GetValue<string>(), body);

    public static DesiredObject AbsentOf<T>(string name, string kind) where T : class, IKubernetesObject<V1ObjectMeta>, new()
        => new(typeof(T), name, new JsonObject { ["kind"] = kind, ["metadata"] = new JsonObject { ["name"] = name } }, Absent: true);
}
