using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using ServerBroker = KafkaOperator.Server.Tests.Infrastructure.BrokerProcess;
using ServerPaths = KafkaOperator.Server.Tests.Infrastructure.RepoPaths;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// The KeySkew condition end to end: KafkaTopics reconciled against a real broker process, kcat producing one topic
/// with 70 % of its records under one key and one with uniform keys, and the operator's own reader
/// (<see cref="KafkaKeySkewReader"/>: the metrics port found through DescribeConfigs, the leaders' sketches over HTTP).
/// 70 % is the default threshold itself, so the broker reads every record (metrics.hotkey.* keys) instead of
/// sampling, whose estimate could fall either side of it: the share is then exactly 70.0 %.
/// </summary>
public sealed class TopicKeySkewRealBrokerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "kafka";
    private const string HotKey = "customer-42";
    private const int Records = 5_000;
    private FakeApiServer _server = null!;
    private ServerBroker _broker = null!;
    private readonly KafkaTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private TopicReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        // A fixed metrics port (not an ephemeral one), so that the reader finds it as it would in a cluster: in the
        // broker's metrics.port config.
        var metricsPort = KafkaOperator.Server.Tests.Infrastructure.LoopbackPorts.Free(1)[0];
        _broker = await ServerBroker.StartAsync(output, new Dictionary<string, string>
        {
            ["metrics.port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["metrics.hotkey.sample.interval.ms"] = "0",
            ["metrics.hotkey.samples.per.batch"] = "4096", // kcat's batches are capped at 1000 records below
        });
        _server = await FakeApiServer.StartAsync();
        _reconciler = new TopicReconciler(_server.Client, _admin, _events, NullLogger<TopicReconciler>.Instance) { KeySkew = new KafkaKeySkewReader() };
        var cluster = Samples.Cluster("local", 1, Ns);
        cluster.Metadata.Uid = null;
        cluster = await _server.Client.CreateAsync(cluster);
        cluster.Status = new KafkaClusterStatus { BootstrapServers = _broker.BootstrapServers };
        await _server.Client.ReplaceStatusAsync(cluster);
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _server.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Only_the_topic_where_one_key_carries_70_percent_gets_the_KeySkew_warning()
    {
        foreach (var name in new[] { "skewed", "uniform" })
        {
            var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "local", Partitions = 6, ReplicationFactor = 1 } };
            t.Metadata.Name = name;
            t.Metadata.NamespaceProperty = Ns;
            await _server.Client.CreateAsync(t);
            await ReconcileAsync(name);
        }

        // Seven of every ten records under the hot key, the others (and all of the uniform topic's) each a key of its own.
        await ProduceAsync("skewed", Enumerable.Range(0, Records).Select(i => i % 10 < 7 ? HotKey : $"customer-{100_000 + i}"));
        await ProduceAsync("uniform", Enumerable.Range(0, Records).Select(i => $"customer-{200_000 + i}"));

        var skewed = Conditions.Find((await ReconcileAsync("skewed")).Status?.Conditions, ConditionTypes.KeySkew);
        var uniform = Conditions.Find((await ReconcileAsync("uniform")).Status?.Conditions, ConditionTypes.KeySkew);
        output.WriteLine($"skewed: {skewed?.Status} {skewed?.Reason} {skewed?.Message}; uniform: {uniform?.Status} {uniform?.Reason} {uniform?.Message}");

        Assert.NotNull(skewed);
        Assert.Equal("True", skewed.Status);
        Assert.Equal("HotKey", skewed.Reason);
        Assert.StartsWith($"key '{HotKey}' carries 70.0% of recent records (threshold 70%), on partition(s) ", skewed.Message, StringComparison.Ordinal);

        Assert.NotNull(uniform);
        Assert.Equal("False", uniform.Status);
        Assert.DoesNotContain(HotKey, uniform.Message, StringComparison.Ordinal);

        // One Warning event, on the skewed topic.
        var warning = Assert.Single(_events.Events, e => e.Reason == "KeySkew");
        Assert.Equal(EventTypes.Warning, warning.Type);
        Assert.Contains(HotKey, warning.Message, StringComparison.Ordinal);
    }

    private async Task<KafkaTopic> ReconcileAsync(string name)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
    }

    private async Task ProduceAsync(string topic, IEnumerable<string> keys)
    {
        var kcat = ServerPaths.RequireTool("kcat", "kafkacat");
        var file = Path.Combine(Path.GetTempPath(), $"ko-keyskew-{Guid.NewGuid():N}.txt");
        try
        {
            await File.WriteAllLinesAsync(file, keys.Select((k, i) => string.Create(CultureInfo.InvariantCulture, $"{k}:value-{i}")));
            var start = new ProcessStartInfo(kcat) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-b", _broker.BootstrapServers, "-t", topic, "-P", "-K:", "-l", file, "-X", "batch.num.messages=1000" })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"kcat exited {process.ExitCode}: {await stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
