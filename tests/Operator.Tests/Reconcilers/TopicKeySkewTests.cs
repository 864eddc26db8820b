using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Reconcilers;
using KafkaOperator.Operator.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaOperator.Operator.Tests.Reconcilers;

/// <summary>The KeySkew condition of a KafkaTopic, from a fake reading of its partition leaders' hot-key sketches.</summary>
public sealed class TopicKeySkewTests : IAsyncLifetime
{
    private const string Ns = "kafka";
    private FakeApiServer _server = null!;
    private readonly FakeTopicAdmin _admin = new();
    private readonly MemoryEventSink _events = new();
    private readonly FakeKeySkew _skew = new();
    private TopicReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _reconciler = new TopicReconciler(_server.Client, _admin, _events, NullLogger<TopicReconciler>.Instance) { KeySkew = _skew };
        var cluster = Samples.Cluster("demo", 3, Ns);
        cluster.Metadata.Uid = null;
        await _server.Client.CreateAsync(cluster);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_condition_is_true_only_while_the_top_key_passes_the_threshold()
    {
        await CreateTopicAsync("orders", threshold: null);
        await ReconcileAsync("orders"); // creates the topic: no traffic to judge yet
        _skew.Readings["orders"] = new TopKeyReading("customer-42", 0.71, [4], 10_000);
        var t = await ReconcileAsync("orders");
        var c = KeySkew(t)!;
        Assert.Equal("True", c.Status);
        Assert.Equal("HotKey", c.Reason);
        Assert.Contains("customer-42", c.Message, StringComparison.Ordinal);
        Assert.Contains("71.0%", c.Message, StringComparison.Ordinal);
        Assert.Contains("threshold 70%", c.Message, StringComparison.Ordinal);
        Assert.Equal("True", Conditions.Find(t.Status!.Conditions, ConditionTypes.Ready)!.Status); // a warning, not a failure
        Assert.Single(_events.Events, e => e.Reason == "KeySkew");

        // Still skewed on the next pass: no second event.
        await ReconcileAsync("orders");
        Assert.Single(_events.Events, e => e.Reason == "KeySkew");

        // Uniform keys: False.
        _skew.Readings["orders"] = new TopKeyReading("customer-7", 0.002, [1], 10_000);
        c = KeySkew(await ReconcileAsync("orders"))!;
        Assert.Equal("False", c.Status);
        Assert.Equal("BelowThreshold", c.Reason);
    }

    [Fact]
    public async Task The_threshold_is_per_topic_and_an_unreadable_skew_leaves_the_condition_alone()
    {
        await CreateTopicAsync("clicks", threshold: 90);
        await ReconcileAsync("clicks");
        _skew.Readings["clicks"] = new TopKeyReading("user-1", 0.8, [0], 5_000);
        var c = KeySkew(await ReconcileAsync("clicks"))!;
        Assert.Equal("False", c.Status);
        Assert.Contains("threshold 90%", c.Message, StringComparison.Ordinal);

        _skew.Readings["clicks"] = new TopKeyReading("user-1", 0.95, [0], 5_000);
        Assert.Equal("True", KeySkew(await ReconcileAsync("clicks"))!.Status);

        _skew.Readings.Remove("clicks"); // metrics ports unreachable: nothing is known, nothing changes
        Assert.Equal("True", KeySkew(await ReconcileAsync("clicks"))!.Status);

        await CreateTopicAsync("quiet", threshold: null);
        await ReconcileAsync("quiet");
        Assert.Null(KeySkew(await ReconcileAsync("quiet")));
        _skew.Readings["quiet"] = new TopKeyReading("", 0, [], 0);
        Assert.Equal("NoHotKey", KeySkew(await ReconcileAsync("quiet"))!.Reason);
    }

    private static StatusCondition? KeySkew(KafkaTopic t) => Conditions.Find(t.Status?.Conditions, ConditionTypes.KeySkew);

    private async Task CreateTopicAsync(string name, int? threshold)
    {
        var t = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "demo", Partitions = 6, ReplicationFactor = 3, KeySkewThreshold = threshold } };
        t.Metadata.Name = name;
        t.Metadata.NamespaceProperty = Ns;
        await _server.Client.CreateAsync(t);
    }

    private async Task<KafkaTopic> ReconcileAsync(string name)
    {
        var t = (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
        var result = await _reconciler.ReconcileAsync(t, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error);
        return (await _server.Client.GetAsync<KafkaTopic>(Ns, name))!;
    }

    private sealed class FakeKeySkew : IKeySkewReader
    {
        public Dictionary<string, TopKeyReading> Readings { get; } = [];

        public Task<TopKeyReading?> ReadTopKeyAsync(string bootstrap, string topic, CancellationToken ct) =>
            Task.FromResult(Readings.GetValueOrDefault(topic));
    }
}
