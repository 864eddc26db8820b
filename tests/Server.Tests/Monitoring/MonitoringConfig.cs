using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace KafkaOperator.Server.Tests.Monitoring;

/// <summary>
/// config/monitoring as the tests read it: the PrometheusRule's spec (a Prometheus rules file), its alerts, and the
/// Grafana dashboard's queries (panel targets and template variables). Also linked into Operator.Tests.
/// </summary>
public static class MonitoringConfig
{
    public static string Dir(string repoRoot) => Path.Combine(repoRoot, "config", "monitoring");

    /// <summary>The PrometheusRule's spec: what a plain Prometheus or promtool reads as a rules file (JSON is YAML).</summary>
    public static JsonObject RulesFile(string repoRoot)
    {
        var rule = LoadYaml(Path.Combine(Dir(repoRoot), "prometheusrule.yaml")).Single(d => d["kind"]?.GetValue<string>() == "PrometheusRule");
        return rule["spec"]!.AsObject();
    }

    public static List<(string Alert, string Expr)> Alerts(string repoRoot) =>
        [.. RulesFile(repoRoot)["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray())
            .Select(r => (r!["alert"]?.GetValue<string>() ?? r["record"]!.GetValue<string>(), r["expr"]!.GetValue<string>()))];

    /// <summary>Every query of the dashboard: (panel title or variable name, PromQL with Grafana's variables left in).</summary>
    public static List<(string Where, string Expr)> DashboardQueries(string repoRoot)
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir(repoRoot), "grafana-dashboard.json")))!;
        var result = new List<(string, string)>();
        foreach (var panel in Panels(dashboard["panels"]!.AsArray()))
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
                result.Add(($"panel '{panel["title"]}'", target!["expr"]!.GetValue<string>()));
        }
        foreach (var variable in dashboard["templating"]!["list"]!.AsArray())
        {
            if (variable!["type"]!.GetValue<string>() != "query")
                continue;
            var query = variable["query"]!;
            result.Add(($"variable ${variable["name"]}", query is JsonObject o ? o["query"]!.GetValue<string>() : query.GetValue<string>()));
        }
        return result;
    }

    /// <summary>Every expression of the rules and the dashboard, and the metric names each uses.</summary>
    public static List<(string Where, string Expr, SortedSet<string> Names)> AllExpressions(string repoRoot) =>
        [.. Alerts(repoRoot).Select(a => ($"alert {a.Alert}", a.Expr)).Concat(DashboardQueries(repoRoot))
            .Select(q => (q.Item1, q.Item2, PromQl.MetricNames(q.Item2)))];

    private static IEnumerable<JsonNode> Panels(JsonArray panels)
    {
        foreach (var panel in panels)
        {
            yield return panel!;
            foreach (var nested in Panels(panel!["panels"]?.AsArray() ?? []))
                yield return nested; // collapsed rows hold their panels
        }
    }

    /// <summary>The YAML documents of a file as JSON (scalars stay strings: enough for what the tests read).</summary>
    public static List<JsonObject> LoadYaml(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode)!.AsObject())];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(ToJson)]),
        YamlScalarNode v => JsonValue.Create(v.Value),
        _ => throw new InvalidOperationException($"unsupported YAML node {node.NodeType}"),
    };
}
