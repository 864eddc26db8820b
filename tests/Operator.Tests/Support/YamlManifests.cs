using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KafkaOperator.Operator.Tests.Support;

/// <summary>Reads Kubernetes YAML manifests (one or more documents) as the JSON the API server would receive.</summary>
public static class YamlManifests
{
    public static List<JsonObject> Load(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode)!.AsObject())];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain } p => Plain(p.Value),
        YamlScalarNode q => JsonValue.Create(q.Value),
        _ => throw new InvalidOperationException($"unsupported YAML node {node.NodeType}"),
    };

    // YAML 1.2 core schema: unquoted numbers and booleans are not strings (a quoted "2" is).
    private static JsonNode? Plain(string? value) => value switch
    {
        null or "" or "~" or "null" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        _ => JsonValue.Create(value),
    };
}
