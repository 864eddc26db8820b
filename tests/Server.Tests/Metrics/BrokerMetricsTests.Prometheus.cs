using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Monitoring;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>
/// The same cluster seen by a real Prometheus (scraping every second, evaluating config/monitoring's rules): every
/// metric name the alerts and the dashboard use is one the brokers serve, every dashboard query evaluates to data,
/// every rule evaluates without error, no alert's condition holds on the healthy cluster, and a killed broker
/// shows in the broker-down and under-replicated conditions. Names of the operator's metrics are checked in
/// Operator.Tests against the operator's /metrics.
/// </summary>
public sealed partial class BrokerMetricsTests
{
    private const string OperatorPrefix = "kafka_operator_";

    // The values the dashboard's variables take here; `$__rate_interval` spans a few of these 1 s scrapes.
    private static readonly Dictionary<string, string> GrafanaVariables = new()
    {
        ["namespace"] = "local",
        ["cluster"] = "local",
        ["topic"] = ".+",
        ["consumergroup"] = ".+",
        ["operator_namespace"] = ".*",
        ["__rate_interval"] = "15s",
    };

    // Alerts whose conditions must be false on a healthy cluster (key skew and lag depend on the workload).
    private static readonly string[] HealthyQuiet =
    [
        "KafkaBrokerDown", "KafkaBrokerNotRunning", "KafkaUnderReplicatedPartitions", "KafkaUnderMinIsrPartitions",
        "KafkaOfflinePartitions", "KafkaNoActiveController", "KafkaMultipleActiveControllers", "KafkaQuorumVoterLagging",
    ];

    private static Task<LocalPrometheus> StartPrometheusAsync(BrokerCluster cluster, Xunit.Abstractions.ITestOutputHelper output) =>
        LocalPrometheus.StartAsync(output, cluster.Brokers.Select((b, id) => (b.MetricsUri, (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
        {
            ["namespace"] = "local",
            ["kafka_cluster"] = "local",
            ["pod"] = $"broker-{id}",
            ["node_id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })));

    /// <summary>After a produce and a group commit, so that every series the monitoring uses exists.</summary>
    private async Task CheckHealthyClusterInPrometheusAsync(LocalPrometheus prometheus)
    {
        var expressions = MonitoringConfig.AllExpressions(RepoPaths.Root);
        var brokerNames = expressions.SelectMany(e => e.Names).Where(n => !n.StartsWith(OperatorPrefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        var missing = await PollAsync("every metric name of the rules and dashboard in Prometheus", async () =>
        {
            var stored = await prometheus.MetricNamesAsync();
            return brokerNames.Where(n => !stored.Contains(n)).Order(StringComparer.Ordinal).ToList();
        });
        Assert.True(missing.Count == 0, "names the alerts or the dashboard use that the brokers do not serve: " + string.Join(", ", missing)
            + "\nused by: " + string.Join("; ", expressions.Where(e => e.Names.Overlaps(missing)).Select(e => e.Where)));

        // Each dashboard query parses and, unless it shows the operator, finds data.
        var queries = MonitoringConfig.DashboardQueries(RepoPaths.Root).Where(q => q.Where.StartsWith("panel", StringComparison.Ordinal)).ToList();
        var empty = await PollAsync("data for every broker panel of the dashboard", async () =>
        {
            var result = new List<string>();
            foreach (var (where, expr) in queries)
            {
                var series = await prometheus.QueryAsync(Substitute(expr));
                if (series.Count == 0 && !PromQl.MetricNames(expr).Any(n => n.StartsWith(OperatorPrefix, StringComparison.Ordinal)))
                    result.Add($"{where}: {expr}");
            }
            return result;
        });
        Assert.True(empty.Count == 0, "dashboard queries without data:\n" + string.Join("\n", empty));

        // Prometheus evaluates every rule without error, and no alert's condition holds while the cluster is healthy.
        var unhealthy = await PollAsync("every rule evaluated", async () =>
            (await prometheus.GetAsync("api/v1/rules"))["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray())
                .Where(r => r!["health"]!.GetValue<string>() != "ok").Select(r => $"{r!["name"]}: {r["health"]} {r["lastError"]}").ToList());
        Assert.True(unhealthy.Count == 0, string.Join("\n", unhealthy));
        var alerts = MonitoringConfig.Alerts(RepoPaths.Root).ToDictionary(a => a.Alert, a => a.Expr);
        var holding = await PollAsync("no alert condition on the healthy cluster", async () =>
        {
            var result = new List<string>();
            foreach (var name in HealthyQuiet)
            {
                if (await prometheus.QueryAsync(alerts[name]) is { Count: > 0 } series)
                    result.Add($"{name}: {series.ToJsonString()}");
            }
            return result;
        });
        Assert.True(holding.Count == 0, "alert conditions holding on a healthy cluster:\n" + string.Join("\n", holding));
    }

    /// <summary>After <paramref name="victim"/> was killed: its target is down and the survivors report under-replication.</summary>
    private async Task CheckBrokerDownInPrometheusAsync(LocalPrometheus prometheus, int victim)
    {
        var alerts = MonitoringConfig.Alerts(RepoPaths.Root).ToDictionary(a => a.Alert, a => a.Expr);
        var pending = await PollAsync("the broker-down and under-replicated conditions", async () =>
        {
            var result = new List<string>();
            var down = await prometheus.QueryAsync(alerts["KafkaBrokerDown"]);
            if (down.Select(s => s!["metric"]!["pod"]!.GetValue<string>()).SingleOrDefault() != $"broker-{victim}")
                result.Add("KafkaBrokerDown: " + down.ToJsonString());
            var under = await prometheus.QueryAsync(alerts["KafkaUnderReplicatedPartitions"]);
            if (under.Count == 0 || under.Any(s => s!["metric"]!["pod"]!.GetValue<string>() == $"broker-{victim}"))
                result.Add("KafkaUnderReplicatedPartitions: " + under.ToJsonString());
            return result;
        });
        Assert.True(pending.Count == 0, string.Join("\n", pending));
        Assert.Equal("down", (await prometheus.TargetHealthAsync())[$"broker-{victim}"]);
    }

    private static string Substitute(string expr) =>
        GrafanaVariable().Replace(expr, m => GrafanaVariables.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);

    /// <summary>Polls until the list of problems is empty or the deadline passes; returns the last list.</summary>
    private async Task<List<string>> PollAsync(string what, Func<Task<List<string>>> problems)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var last = await problems();
            if (last.Count == 0 || DateTime.UtcNow > until)
            {
                if (last.Count > 0)
                    output.WriteLine($"still waiting for {what} after {Deadline.TotalSeconds} s");
                return last;
            }
            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex GrafanaVariable();
}
