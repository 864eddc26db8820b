using System.Text.Json.Nodes;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Metrics;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Tests.Support;
using KafkaOperator.Server.Tests.Monitoring;

namespace KafkaOperator.Operator.Tests.Monitoring;

/// <summary>
/// config/monitoring against what it watches: the operator's metric names the alerts and dashboard use are ones its
/// /metrics exports, and the PodMonitors select the broker pods the model builds and the operator's Deployment, by
/// ports those pods have. (The brokers' names are checked against a real Prometheus scrape in Server.Tests.)
/// </summary>
public sealed class MonitoringManifestTests
{
    private static readonly ModelOptions Options = new();

    private static JsonObject BrokerPod(KafkaCluster c) =>
        ClusterModel.Build(c, Options).Single(o => o.Kind == "StatefulSet").Body["spec"]!["template"]!.AsObject();

    private static List<JsonObject> PodMonitors() =>
        [.. MonitoringConfig.LoadYaml(Path.Combine(MonitoringConfig.Dir(RepoPaths.Root), "podmonitors.yaml")).Where(d => d["kind"]!.GetValue<string>() == "PodMonitor")];

    private static Dictionary<string, string> Strings(JsonNode? map) =>
        map?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.ToString()) ?? [];

    [Fact]
    public void Operator_metric_names_in_the_alerts_and_dashboard_are_exported()
    {
        var metrics = new OperatorMetrics();
        metrics.ReconcileCompleted("kafkacluster", success: false, TimeSpan.FromMilliseconds(5));
        metrics.RegisterQueue("kafkacluster", () => 0);
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in metrics.Render().Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            exported.UnionWith(parts[3] == "histogram" ? [parts[2] + "_bucket", parts[2] + "_sum", parts[2] + "_count"] : [parts[2]]);
        }

        var used = MonitoringConfig.AllExpressions(RepoPaths.Root)
            .SelectMany(e => e.Names.Select(n => (e.Where, Name: n)))
            .Where(u => u.Name.StartsWith("kafka_operator_", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(used, u => u.Where.StartsWith("alert", StringComparison.Ordinal));
        Assert.Contains(used, u => u.Where.StartsWith("panel", StringComparison.Ordinal));
        var unknown = used.Where(u => !exported.Contains(u.Name)).Select(u => $"{u.Where}: {u.Name}").ToList();
        Assert.True(unknown.Count == 0, "operator metrics the monitoring uses but the operator does not export: " + string.Join("; ", unknown));
    }

    [Fact]
    public void Broker_pod_monitor_selects_the_model_pods_by_their_metrics_port()
    {
        var monitor = PodMonitors().Single(m => m["metadata"]!["name"]!.GetValue<string>() == "kafka-brokers");
        Assert.Equal("true", monitor["spec"]!["namespaceSelector"]!["any"]!.GetValue<string>());
        var selector = Strings(monitor["spec"]!["selector"]!["matchLabels"]);
        var endpoint = monitor["spec"]!["podMetricsEndpoints"]![0]!;
        foreach (var cluster in new[] { Samples.Cluster(), Samples.FullCluster(), Samples.Cluster("solo", 1) })
        {
            var template = BrokerPod(cluster);
            var labels = Strings(template["metadata"]!["labels"]);
            Assert.All(selector, kv => Assert.Equal(kv.Value, labels.GetValueOrDefault(kv.Key)));
            var port = template["spec"]!["containers"]![0]!["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == endpoint["port"]!.GetValue<string>())!;
            Assert.Equal(ClusterNames.MetricsPort, port["containerPort"]!.GetValue<int>());
            var annotations = Strings(template["metadata"]!["annotations"]);
            Assert.Equal("true", annotations["prometheus.io/scrape"]);
            Assert.Equal("9404", annotations["prometheus.io/port"]);
            Assert.Equal(endpoint["path"]!.GetValue<string>(), annotations["prometheus.io/path"]);
        }
        // kafka_cluster comes from the instance label, which the model sets to the KafkaCluster's name.
        Assert.Contains(endpoint["relabelings"]!.AsArray(), r => r!["targetLabel"]!.GetValue<string>() == "kafka_cluster"
            && r["sourceLabels"]![0]!.GetValue<string>() == "__meta_kubernetes_pod_label_app_kubernetes_io_instance");
        Assert.Equal("demo", Strings(BrokerPod(Samples.Cluster())["metadata"]!["labels"])["app.kubernetes.io/instance"]);
    }

    [Fact]
    public void Operator_pod_monitor_selects_the_deployment_by_its_http_port()
    {
        var monitor = PodMonitors().Single(m => m["metadata"]!["name"]!.GetValue<string>() == "kafka-operator");
        var deployment = YamlManifests.Load(Path.Combine(RepoPaths.Root, "config", "deployment.yaml")).Single();
        var template = deployment["spec"]!["template"]!;
        var labels = Strings(template["metadata"]!["labels"]);
        Assert.All(Strings(monitor["spec"]!["selector"]!["matchLabels"]), kv => Assert.Equal(kv.Value, labels.GetValueOrDefault(kv.Key)));
        var portName = monitor["spec"]!["podMetricsEndpoints"]![0]!["port"]!.GetValue<string>();
        var port = template["spec"]!["containers"]![0]!["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == portName)!;
        Assert.Equal(port["containerPort"]!.ToString(), Strings(template["metadata"]!["annotations"])["prometheus.io/port"]);
    }

    [Fact]
    public void Component_lists_its_files_and_labels_the_dashboard_for_grafana()
    {
        var dir = MonitoringConfig.Dir(RepoPaths.Root);
        var component = MonitoringConfig.LoadYaml(Path.Combine(dir, "kustomization.yaml")).Single();
        Assert.Equal("Component", component["kind"]!.GetValue<string>());
        Assert.All(component["resources"]!.AsArray(), r => Assert.True(File.Exists(Path.Combine(dir, r!.GetValue<string>())), r!.ToString()));
        var generator = component["configMapGenerator"]![0]!;
        Assert.Equal("1", generator["options"]!["labels"]!["grafana_dashboard"]!.GetValue<string>());
        var file = generator["files"]![0]!.GetValue<string>().Split('=')[^1];
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, file)))!;
        Assert.Equal(["Cluster", "Topics", "Consumer groups", "Operator"],
            dashboard["panels"]!.AsArray().Where(p => p!["type"]!.GetValue<string>() == "row").Select(p => p!["title"]!.GetValue<string>()));
    }

    [Fact]
    public void Broker_pods_expose_the_metrics_port_the_readiness_probe_and_the_scrape_annotations_use()
    {
        var template = BrokerPod(Samples.Cluster());
        var container = template["spec"]!["containers"]![0]!;
        var metrics = container["ports"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "metrics")!;
        Assert.Equal(9404, metrics["containerPort"]!.GetValue<int>());
        Assert.Equal(9404, container["readinessProbe"]!["httpGet"]!["port"]!.GetValue<int>());
        var annotations = Strings(template["metadata"]!["annotations"]);
        Assert.Equal("9404", annotations["prometheus.io/port"]);
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
    }

    [Fact]
    public void Template_annotations_override_the_scrape_annotations()
    {
        var cluster = Samples.Cluster();
        cluster.Spec.Template = new PodTemplate { Annotations = new() { ["prometheus.io/scrape"] = "false" } };
        Assert.Equal("false", Strings(BrokerPod(cluster)["metadata"]!["annotations"])["prometheus.io/scrape"]);
    }
}
