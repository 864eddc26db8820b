using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>
/// Hot-key detection end to end on one broker process: kcat produces one topic where 70 % of records carry one key
/// and one with uniform keys; kafka_topic_hotkey_share and `kafkactl topics skew` name the hot key only in the first.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class HotKeyBrokerTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    private const int Records = 5_000;
    private const string HotKey = "customer-42";

    [Fact]
    public async Task Metric_and_kafkactl_show_the_hot_key_only_when_one_key_carries_70_percent()
    {
        var kcat = RepoPaths.RequireTool("kcat", "kafkacat");
        var broker = fixture.Broker;
        var rng = new Random(15);
        await ProduceAsync(kcat, "skewed", Enumerable.Range(0, Records).Select(i => rng.NextDouble() < 0.7 ? HotKey : $"customer-{rng.Next(1_000_000)}"));
        await ProduceAsync(kcat, "uniform", Enumerable.Range(0, Records).Select(i => $"customer-{rng.Next(1_000_000)}"));

        var scrape = await Scrape.GetAsync(broker.MetricsUri);
        var skewedShare = scrape.Value("kafka_topic_hotkey_share", ("topic", "skewed"));
        var uniformShare = scrape.Value("kafka_topic_hotkey_share", ("topic", "uniform"));
        output.WriteLine($"kafka_topic_hotkey_share skewed={skewedShare} uniform={uniformShare}; bytes skew skewed={scrape.Value("kafka_topic_partition_bytes_skew", ("topic", "skewed"))} uniform={scrape.Value("kafka_topic_partition_bytes_skew", ("topic", "uniform"))}");
        Assert.InRange(skewedShare ?? -1, 0.6, 0.8);
        Assert.InRange(uniformShare ?? -1, 0, 0.1);
        Assert.True(scrape.Value("kafka_topic_partition_bytes_skew", ("topic", "skewed")) > 3); // 6 partitions, 70 % + a sixth of the rest in one
        Assert.True(scrape.Value("kafka_topic_partition_bytes_skew", ("topic", "uniform")) < 2);

        var metricsUrl = $"http://127.0.0.1:{broker.MetricsPort}";
        var (code, text, err) = await CtlAsync("topics", "skew", "skewed", "--metrics-url", metricsUrl);
        output.WriteLine(text + err);
        Assert.Equal(0, code);
        Assert.Contains(HotKey, text, StringComparison.Ordinal);

        (code, var json, err) = await CtlAsync("topics", "skew", "skewed", "--metrics-url", metricsUrl, "-o", "json");
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(json))
        {
            var top = doc.RootElement.GetProperty("keys")[0];
            Assert.Equal(HotKey, top.GetProperty("display").GetString());
            Assert.InRange(top.GetProperty("share").GetDouble(), 0.6, 0.8);
            Assert.Equal(1, top.GetProperty("partitions").GetArrayLength());
            // Requests within 10 ms of a partition's last sampled one wait, counted as unsampled, for the next sample.
            Assert.Equal(Records, doc.RootElement.GetProperty("records").GetInt64() + doc.RootElement.GetProperty("unsampled").GetInt64());
            Assert.Empty(doc.RootElement.GetProperty("unreachable").EnumerateArray());
        }

        (code, json, err) = await CtlAsync("topics", "skew", "uniform", "--metrics-url", metricsUrl, "-o", "json");
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(json))
        {
            var keys = doc.RootElement.GetProperty("keys");
            Assert.True(keys.GetArrayLength() == 0 || keys[0].GetProperty("share").GetDouble() < 0.1, json);
            Assert.DoesNotContain(HotKey, json, StringComparison.Ordinal);
        }

        // The endpoint itself: an unknown topic is 404, another method 405.
        using var http = new HttpClient();
        Assert.Equal(404, (int)(await http.GetAsync(new Uri($"{metricsUrl}/topics/no-such-topic/skew"))).StatusCode);
        Assert.Equal(405, (int)(await http.PostAsync(new Uri($"{metricsUrl}/topics/skewed/skew"), null)).StatusCode);
    }

    private async Task ProduceAsync(string kcat, string topic, IEnumerable<string> keys)
    {
        var file = Path.Combine(fixture.Broker.DataDir, "..", $"hotkeys-{topic}.txt");
        await File.WriteAllLinesAsync(file, keys.Select((k, i) => string.Create(CultureInfo.InvariantCulture, $"{k}:value-{i}")));
        var start = new ProcessStartInfo(kcat) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-b", fixture.Broker.BootstrapServers, "-t", topic, "-P", "-K:", "-l", file })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"kcat exited {process.ExitCode}: {await stderr}");
    }

    private async Task<(int Code, string Out, string Err)> CtlAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var stderr = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await KafkaCtl.RunAsync([.. args, "-b", fixture.Broker.BootstrapServers], stdout, stderr, null, timeout.Token);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
