using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Kube.Testing;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Hosting;
using KafkaOperator.Operator.Tests.Support;

namespace KafkaOperator.Operator.Tests.Hosting;

public sealed class OperatorHostTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _operatorClient = _server.CreateClient(uri => new KubernetesClientConfiguration
        {
            Host = uri.ToString(),
            AccessToken = OperatorToken,
        });
    }

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
        OperatorHost.StartAsync(Settings(identity), _operatorClient, new FakeTopicAdmin(), logging: _ => { });

    // The operator's own client with its own token, so its requests can be told apart from the test's.
    private IKubeClient _operatorClient = null!;
    private const string OperatorToken = "operator-token";

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
        await Poll.UntilAsync(async () => await _server.Client.GetAsync<V1StatefulSet>("kafka", "hosted-broker") is not null, "StatefulSet from the leader");
        var sts = (await _server.Client.GetAsync<V1StatefulSet>("kafka", "hosted-broker"))!;
        Assert.Equal("example/broker:1", sts.Spec!.Template.Spec!.Containers[0].Image);

        var metrics = await _http.GetStringAsync(new Uri(first.Address, "/metrics"));
        Assert.Contains("kafka_operator_leader 1", metrics, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_queue_depth{controller=\"kafkacluster\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_leader 0", await _http.GetStringAsync(new Uri(second.Address, "/metrics")), StringComparison.Ordinal);
        Assert.False(second.IsLeader);
        Assert.Equal(0, second.Metrics.ReconcileCount("kafkacluster", success: true));

        // A topic through its whole life, so the topic controller's requests are exercised too.
        var topic = new KafkaTopic { Spec = new KafkaTopicSpec { Cluster = "hosted", Partitions = 1, ReplicationFactor = 1 } };
        topic.Metadata.Name = "hosted-topic";
        topic.Metadata.NamespaceProperty = "kafka";
        await _server.Client.CreateAsync(topic);
        await Poll.UntilAsync(async () => (await _server.Client.GetAsync<KafkaTopic>("kafka", "hosted-topic"))?.Status is not null, "topic status");
        await _server.Client.DeleteAsync<KafkaTopic>("kafka", "hosted-topic");
        await Poll.UntilAsync(async () => await _server.Client.GetAsync<KafkaTopic>("kafka", "hosted-topic") is null, "topic finalized");

        var lease = await _server.Client.GetAsync<V1Lease>("kafka-operator", "kafka-operator");
        Assert.Equal("replica-a", lease!.Spec!.HolderIdentity);

        // Least privilege: every request the operator made is allowed by config/rbac.yaml (ClusterRole, or the
        // leader-election Role inside the operator namespace).
        var rules = Rbac.LoadRules();
        var made = _server.Requests.Where(r => r.Authorization == "Bearer " + OperatorToken).Select(Rbac.Attributes).Where(a => a is not null).Select(a => a!.Value).Distinct().ToList();
        Assert.Contains(made, a => a.Resource == "statefulsets" && a.Verb == "patch");
        Assert.Contains(made, a => a.Resource == "kafkatopics" && a.Verb == "update");
        foreach (var a in made)
        {
            var allowed = rules.Any(r => r.Groups.Contains(a.Group) && r.Resources.Contains(a.Resource) && r.Verbs.Contains(a.Verb)
                && (r.Kind == "ClusterRole" || a.Namespace == "kafka-operator"));
            Assert.True(allowed, $"config/rbac.yaml does not allow {a.Verb} {a.Group}/{a.Resource} in {a.Namespace ?? "<cluster>"}");
        }

        // The leader stops (and releases the lease): the standby takes over.
        await first.DisposeAsync();
        await Poll.UntilAsync(() => second.IsLeader, "replica-b taking over", TimeSpan.FromSeconds(20));
    }
}
