using System.Text;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.RealClients;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// process.roles on real processes: voters 0 and 1 combined, 2 controller-only, 3 broker-only (an observer of the
/// quorum). The broker-only node registers, is unfenced by its observer fetches, hosts and leads partitions; the
/// controller-only node votes but is never a broker; DescribeQuorum lists the observer; a broker-only node among the
/// voters is refused at start.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class ProcessRolesClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const string Topic = "roles";

    [Fact]
    public async Task Broker_only_and_controller_only_nodes_take_their_parts()
    {
        await using var cluster = await BrokerCluster.StartAsync(4, output, voterCount: 3,
            perBroker: i => i == 2 ? new Dictionary<string, string> { ["process.roles"] = "controller" } : new Dictionary<string, string>());

        // Ready means registered and unfenced: the broker-only node's observer fetches are its heartbeats.
        await using var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[3].BootstrapServers);
        var described = await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3 && d.ControllerId >= 0, "three brokers and a controller");
        Assert.Equal([0, 1, 3], described.Brokers.Select(b => b.NodeId).Order());
        // The active controller, or the answering broker standing in for the controller-only node 2.
        Assert.Contains(described.ControllerId, new[] { 0, 1, 3 });

        // Every partition has a replica on the broker-only node and none on the controller-only one.
        (await admin.CreateTopicsAsync([new NewTopic(Topic, 3, 3)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(cluster.Brokers[3].BootstrapServers);
        var topic = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.Count == 3 && t.Partitions.All(p => p.LeaderId >= 0 && p.Isr.Count == 3), "the topic led and in sync");
        Assert.All(topic.Partitions, p => Assert.Equal([0, 1, 3], p.Replicas.Order()));
        Assert.Contains(3, topic.Partitions.Select(p => p.LeaderId));

        await using (var producer = await KafkaProducer.CreateAsync(client))
        {
            for (var p = 0; p < 3; p++)
                await producer.ProduceAsync(Topic, p, null, Encoding.UTF8.GetBytes($"v{p}"));
        }
        await using (var consumer = new KafkaConsumer(client))
        {
            await consumer.AssignTopicAsync(Topic);
            var values = new List<string>();
            using var cts = new CancellationTokenSource(Deadline);
            while (values.Count < 3)
            {
                foreach (var r in await consumer.FetchAsync(cts.Token))
                    values.Add(Encoding.UTF8.GetString(r.Value!));
            }
            Assert.Equal(["v0", "v1", "v2"], values.Order());
        }

        // The quorum, asked at the controller-only node (which clients cannot find through Metadata): three voters,
        // the broker-only node an observer that is caught up.
        await using var controllerAdmin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[2].BootstrapServers);
        var quorum = await WaitForAsync(() => controllerAdmin.DescribeQuorumAsync(),
            q => q.Voters.Count == 3 && q.Observers.Count == 1 && q.Observers[0].Lag == 0, "the observer caught up");
        Assert.Equal([0, 1, 2], quorum.Voters.Select(v => v.Id));
        Assert.Equal(3, quorum.Observers[0].Id);
        Assert.True(quorum.Observers[0].LastFetchTimestamp > 0);

        // A broker-only node that names itself a voter is refused before it touches anything.
        var (exitCode, log) = await BrokerProcess.StartExpectingExitAsync(output, new Dictionary<string, string>
        {
            ["node.id"] = "1",
            ["process.roles"] = "broker",
            ["controller.quorum.voters"] = "0@127.0.0.1:1,1@127.0.0.1:1,2@127.0.0.1:1",
            ["controller.listener.names"] = "CONTROLLER",
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("If process.roles contains just the 'broker' role, the node id 1 must not be included in the set of voters controller.quorum.voters={0, 1, 2}", log, StringComparison.Ordinal);
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
