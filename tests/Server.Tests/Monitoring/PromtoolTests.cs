using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Monitoring;

/// <summary>
/// config/monitoring's alerts through Prometheus's own tool (Debian's prometheus package): the rules load
/// (`promtool check rules`), every alert fires on its unit case and stays quiet on the look-alikes
/// (`promtool test rules` with kafka-alerts.test.yaml), and no alert is left without a firing case.
/// </summary>
public sealed class PromtoolTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _dir = Directory.CreateTempSubdirectory("ko-promtool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Alert_rules_load_and_pass_their_unit_cases()
    {
        var promtool = RepoPaths.RequireTool("promtool");
        var rules = Path.Combine(_dir, "rules.yaml");
        await File.WriteAllTextAsync(rules, MonitoringConfig.RulesFile(RepoPaths.Root).ToJsonString());
        var cases = Path.Combine(_dir, "kafka-alerts.test.yaml");
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "Server.Tests", "Monitoring", "kafka-alerts.test.yaml"), cases);

        var (checkCode, checkOut) = await RunAsync(promtool, "check", "rules", rules);
        Assert.True(checkCode == 0, checkOut);
        var alerts = MonitoringConfig.Alerts(RepoPaths.Root);
        Assert.Contains($"SUCCESS: {alerts.Count} rules found", checkOut, StringComparison.Ordinal);

        var (testCode, testOut) = await RunAsync(promtool, "test", "rules", cases);
        Assert.True(testCode == 0, testOut);
        Assert.Contains("SUCCESS", testOut, StringComparison.Ordinal);

        // Every alert has a case where it fires (the file also has cases where each stays quiet).
        var firing = MonitoringConfig.LoadYaml(cases).Single()["tests"]!.AsArray()
            .SelectMany(t => t!["alert_rule_test"]?.AsArray() ?? [])
            .Where(c => c!["exp_alerts"] is System.Text.Json.Nodes.JsonArray { Count: > 0 })
            .Select(c => c!["alertname"]!.GetValue<string>())
            .ToHashSet(StringComparer.Ordinal);
        var untested = alerts.Select(a => a.Alert).Where(a => !firing.Contains(a)).ToList();
        Assert.True(untested.Count == 0, "alerts without a firing unit case: " + string.Join(", ", untested));
    }

    [Fact]
    public async Task A_broken_rule_fails_the_check()
    {
        // The check above would pass vacuously if promtool accepted anything.
        var promtool = RepoPaths.RequireTool("promtool");
        var rules = Path.Combine(_dir, "broken.yaml");
        await File.WriteAllTextAsync(rules, """{"groups":[{"name":"g","rules":[{"alert":"A","expr":"sum by (x (up)"}]}]}""");
        var (code, text) = await RunAsync(promtool, "check", "rules", rules);
        Assert.NotEqual(0, code);
        Assert.Contains("FAILED", text, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(string tool, params string[] args)
    {
        using var run = RunningScript.Start(tool, args);
        var code = await run.WaitForExitAsync(Timeout);
        var text = run.Stdout + run.Stderr;
        output.WriteLine($"$ {Path.GetFileName(tool)} {string.Join(' ', args)} -> {code}\n{text}");
        return (code, text);
    }
}
