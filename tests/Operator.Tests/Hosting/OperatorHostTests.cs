using KafkaOperator.Kube.Models;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Hosting;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Hosting;

public sealed class OperatorHostTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static OperatorSettings Settings(string identity) => new()
    {
        Port = 0,
        Identity = identity,
        LeaseNamespace = "kafka-operator",
        BrokerImage = "example/broker:1",
    };

    private Task<OperatorHost> StartAsync(string identity) =>
        OperatorHost.StartAsync(Settings(identity), _server.Client, new FakeTopicAdmin(), logging: _ => { });

    [Fact]
    public async Task Serves_health_and_metrics_and_only_the_leader_reconciles()
    {
        await using var first = await StartAsync("replica-a");
        await Poll.UntilAsync(() => first.IsLeader, "replica-a leading");
        await using var second = await StartAsync("replica-b");

        Assert.Equal("ok\n", await _http.GetStringAsync(new Uri(first.Address, "/healthz")));
        await Poll.UntilAsync(async () => (await _http.GetAsync(new Uri(second.Address, "/readyz"))).IsSuccessStatusCode, "standby ready");

        var c = Samples.Cluster("hosted", 3, "kafka");
        c.Metadata.Uid = null;
        await _server.Client.CreateAsync(c);
        await Poll.UntilAsync(async () => await _server.Client.GetAsync<StatefulSet>("kafka", "hosted-broker") is not null, "StatefulSet from the leader");
        var sts = (await _server.Client.GetAsync<StatefulSet>("kafka", "hosted-broker"))!;
        Assert.Equal("example/broker:1", sts.Spec!.Template.Spec!.Containers[0].Image);

        var metrics = await _http.GetStringAsync(new Uri(first.Address, "/metrics"));
        Assert.Contains("kafka_operator_leader 1", metrics, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_queue_depth{controller=\"kafkacluster\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_leader 0", await _http.GetStringAsync(new Uri(second.Address, "/metrics")), StringComparison.Ordinal);
        Assert.False(second.IsLeader);
        Assert.Equal(0, second.Metrics.ReconcileCount("kafkacluster", success: true));

        var lease = await _server.Client.GetAsync<Lease>("kafka-operator", "kafka-operator");
        Assert.Equal("replica-a", lease!.Spec!.HolderIdentity);

        // The leader stops (and releases the lease): the standby takes over.
        await first.DisposeAsync();
        await Poll.UntilAsync(() => second.IsLeader, "replica-b taking over", TimeSpan.FromSeconds(20));
    }
}
