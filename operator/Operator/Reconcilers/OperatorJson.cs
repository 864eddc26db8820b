using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>KubernetesClient's JSON conventions (camelCase, nulls omitted) for moving between typed objects and JSON.</summary>
public static class OperatorJson
{
    public static JsonObject ToNode<T>(T obj) where T : notnull => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    public static T FromNode<T>(JsonNode node) => KubernetesJson.Deserialize<T>(node) ?? throw new JsonException($"null {typeof(T).Name}");
}
