using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Monitoring;

/// <summary>
/// A real Prometheus server (Debian's prometheus package) on loopback, in a temp dir, scraping the given targets
/// every second and evaluating config/monitoring's rules; queried through its HTTP API. Disposal stops it and
/// removes the dir.
/// </summary>
public sealed class LocalPrometheus : IAsyncDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private readonly RunningScript _process;
    private readonly string _dir;

    private LocalPrometheus(RunningScript process, string dir, Uri address)
    {
        _process = process;
        _dir = dir;
        Address = address;
    }

    public Uri Address { get; }

    public string Log => _process.Stdout + _process.Stderr;

    /// <summary>Starts Prometheus; each target gets its labels (as a PodMonitor's relabelling would give them).</summary>
    public static async Task<LocalPrometheus> StartAsync(ITestOutputHelper output, IEnumerable<(Uri Metrics, IReadOnlyDictionary<string, string> Labels)> targets)
    {
        ArgumentNullException.ThrowIfNull(output);
        var binary = RepoPaths.RequireTool("prometheus");
        var dir = Directory.CreateTempSubdirectory("ko-prometheus-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.yaml"), MonitoringConfig.RulesFile(RepoPaths.Root).ToJsonString());
        var config = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files: [rules.yaml]
            scrape_configs:
              - job_name: kafka
                static_configs:

            """);
        foreach (var (metrics, labels) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"      - targets: ['{metrics.Authority}']\n        labels: {{");
            config.AppendJoin(", ", labels.Select(l => $"{l.Key}: '{l.Value}'"));
            config.Append("}\n");
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), config.ToString());

        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.Free(1)[0];
            var process = RunningScript.Start(binary,
            [
                "--config.file=" + Path.Combine(dir, "prometheus.yml"),
                "--storage.tsdb.path=" + Path.Combine(dir, "data"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            ]);
            var prometheus = new LocalPrometheus(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            try
            {
                await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(60), prometheus.ReadyAsync, ready => ready, "Prometheus ready");
                return prometheus;
            }
            catch (InvalidOperationException) when (attempt < 3 && prometheus.Log.Contains("address already in use", StringComparison.Ordinal))
            {
                process.Dispose(); // another process took the port in between: try another
            }
            catch
            {
                output.WriteLine(prometheus.Log);
                await prometheus.DisposeAsync();
                throw;
            }
        }
    }

    private async Task<bool> ReadyAsync()
    {
        if (_process.HasExited)
            throw new InvalidOperationException("prometheus exited:\n" + Log);
        try
        {
            using var response = await Http.GetAsync(new Uri(Address, "-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The API's data field; throws with Prometheus's error (a query that does not parse, say).</summary>
    public async Task<JsonNode> GetAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri(Address, pathAndQuery));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (body["status"]?.GetValue<string>() != "success")
            throw new InvalidOperationException($"Prometheus answered {(int)response.StatusCode} to {pathAndQuery}: {body["errorType"]}: {body["error"]}");
        return body["data"]!;
    }

    /// <summary>An instant query's result vector (or scalar), evaluated now.</summary>
    public async Task<JsonArray> QueryAsync(string expr)
    {
        var data = await GetAsync("api/v1/query?query=" + Uri.EscapeDataString(expr));
        return data["resultType"]!.GetValue<string>() == "vector" ? data["result"]!.AsArray() : [data["result"]!.DeepClone()];
    }

    /// <summary>Every metric name Prometheus has stored from its scrapes (and its own `up`, `scrape_*`).</summary>
    public async Task<SortedSet<string>> MetricNamesAsync() =>
        new((await GetAsync("api/v1/label/__name__/values")).AsArray().Select(n => n!.GetValue<string>()), StringComparer.Ordinal);

    /// <summary>The scrape targets' health ("up", "down", "unknown") by their pod label.</summary>
    public async Task<Dictionary<string, string>> TargetHealthAsync() =>
        (await GetAsync("api/v1/targets?state=active"))["activeTargets"]!.AsArray()
            .ToDictionary(t => t!["labels"]!["pod"]!.GetValue<string>(), t => t!["health"]!.GetValue<string>());

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a file still being written as the process died; the temp dir is cleaned by the system
        }
        return ValueTask.CompletedTask;
    }
}
