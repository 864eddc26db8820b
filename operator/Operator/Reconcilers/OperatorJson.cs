using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaOperator.Kube;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>The Kubernetes JSON conventions (camelCase, nulls omitted) for moving between typed objects and JSON.</summary>
public static class OperatorJson
{
    public static JsonSerializerOptions Options => KubeJson.Options;

    public static JsonObject ToNode<T>(T obj) => JsonSerializer.SerializeToNode(obj, Options)!.AsObject();

    public static T FromNode<T>(JsonNode node) => node.Deserialize<T>(Options) ?? throw new JsonException($"null {typeof(T).Name}");

    /// <summary>
    /// True when every field of <paramref name="desired"/> has the same value in <paramref name="actual"/>: the
    /// server adds defaults and status, so equality of the whole object would never hold.
    /// </summary>
    public static bool IsSubset(JsonNode? desired, JsonNode? actual)
    {
        switch (desired)
        {
            case null:
                return actual is null;
            case JsonObject d:
                if (actual is not JsonObject a)
                {
                    return false;
                }
                foreach (var (key, value) in d)
                {
                    a.TryGetPropertyValue(key, out var av);
                    if (!IsSubset(value, av))
                    {
                        return false;
                    }
                }
                return true;
            case JsonArray d:
                if (actual is not JsonArray aa || aa.Count != d.Count)
                {
                    return false;
                }
                for (var i = 0; i < d.Count; i++)
                {
                    if (!IsSubset(d[i], aa[i]))
                    {
                        return false;
                    }
                }
                return true;
            default:
                if (actual is not JsonValue av2)
                {
                    return false;
                }
                var dv = desired.AsValue();
                if (dv.GetValueKind() == JsonValueKind.Number && av2.GetValueKind() == JsonValueKind.Number)
                {
                    return Number(dv) == Number(av2);
                }
                return JsonNode.DeepEquals(dv, av2);
        }
    }

    // Values built in code hold CLR numbers, parsed ones hold JSON text: compare by numeric value.
    private static decimal Number(JsonValue v) => decimal.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
