using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;
using ElectionType = KafkaOperator.Client.Admin.ElectionType;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// The active controller is a controller-only node (process.roles=controller), which clients cannot find: it is no
/// registered broker, so Metadata lists no address for it. As KRaft brokers do, Metadata and DescribeCluster then
/// name a live broker as the controller, and that broker takes the controller's requests (ElectLeaders, AlterPartition,
/// the reassignments) through the metadata quorum: our admin client elects leaders and moves replicas with brokers
/// as its only bootstrap, and a restarted broker's ISR expansion (AlterPartition from the leaders) still commits.
/// Voters 0 and 1 combined, 2 controller-only with a short election timeout (it becomes the first leader), 3
/// broker-only.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class ControllerOnlyLeaderTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const string Topic = "led-by-brokers";

    [Fact]
    public async Task Brokers_stand_in_for_a_controller_only_active_controller()
    {
        await using var cluster = await BrokerCluster.StartAsync(4, output, new Dictionary<string, string>
        {
            ["broker.session.timeout.ms"] = "3000",
            ["broker.heartbeat.interval.ms"] = "500",
            ["auto.leader.rebalance.enable"] = "false",
        }, voterCount: 3, perBroker: i => i == 2
            ? new Dictionary<string, string> { ["process.roles"] = "controller", ["controller.quorum.election.timeout.ms"] = "200" }
            : new Dictionary<string, string> { ["controller.quorum.election.timeout.ms"] = "5000" });
        await using (var quorumAdmin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[2].BootstrapServers))
            await WaitForAsync(() => quorumAdmin.DescribeQuorumAsync(), q => q.LeaderId == 2, "the controller-only node leading the quorum");

        int[] brokers = [0, 1, 3];
        await using var admin = await KafkaAdminClient.ConnectAsync(string.Join(',', brokers.Select(b => cluster.Brokers[b].BootstrapServers)));
        var described = await WaitForAsync(() => admin.DescribeClusterAsync(), d => d.Brokers.Count == 3, "three brokers");
        output.WriteLine($"DescribeCluster: controller {described.ControllerId}, brokers [{string.Join(',', described.Brokers.Select(b => b.NodeId))}]");
        Assert.Contains(described.ControllerId, brokers);
        foreach (var b in brokers)
        {
            using var raw = RawConnection.Open(cluster.Brokers[b].Port);
            var metadata = await raw.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12, new MetadataRequest { Topics = [] });
            Assert.Contains(metadata.ControllerId, brokers);
            Assert.Contains(metadata.Brokers, x => x.NodeId == metadata.ControllerId);
        }

        // DescribeQuorum: every broker answers NOT_LEADER_OR_FOLLOWER naming node 2 and its CONTROLLER listener, and
        // the admin client, bootstrapped on the brokers alone, follows it there (node 2 is in no Metadata).
        foreach (var b in brokers)
        {
            using var raw = RawConnection.Open(cluster.Brokers[b].Port);
            var answer = await raw.RequestAsync<DescribeQuorumRequest, DescribeQuorumResponse>(ApiKey.DescribeQuorum, 2, new DescribeQuorumRequest
            {
                Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] }],
            });
            var partition = answer.Topics.Single().Partitions.Single();
            Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partition.ErrorCode);
            Assert.Equal(2, partition.LeaderId);
            Assert.Empty(partition.CurrentVoters);
            Assert.Contains(answer.Nodes, n => n.NodeId == 2 && n.Listeners.Single().Port > 0);
        }
        var quorum = await WaitForAsync(() => admin.DescribeQuorumAsync(), q => q.Observers.Any(o => o.Id == 3), "the quorum described by its controller-only leader, observer 3 listed");
        Assert.Equal(2, quorum.LeaderId);
        Assert.Equal([0, 1, 2], quorum.Voters.Select(v => v.Id));

        // Preferred leaders 0, 1 and 3; the broker-only node dies, is fenced and loses its leadership and ISR places.
        (await admin.CreateTopicsAsync([new NewTopic(Topic)
        {
            ReplicaAssignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [0, 1, 3], [1] = [1, 3, 0], [2] = [3, 0, 1] },
        }])).ThrowIfAnyFailed();
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Partitions.All(p => p.Isr.Count == 3 && p.LeaderId == p.Replicas[0]), "the topic in sync, led by its preferred replicas");
        cluster.Brokers[3].Kill();
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Partitions.All(p => p.LeaderId is 0 or 1 && !p.Isr.Contains(3)), "broker 3 out of every ISR and leadership");

        // Back: the leaders' AlterPartition requests add it to the ISRs again (the controller they go to is a broker).
        await cluster.Brokers[3].RestartAsync();
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Partitions.All(p => p.Isr.Count == 3), "broker 3 back in every ISR");

        // ElectLeaders through the brokers: partition 2 goes back to broker 3, the others need none.
        var elected = await admin.ElectLeadersAsync(ElectionType.Preferred, [new TopicPartition(Topic, 0), new TopicPartition(Topic, 2)]);
        Assert.Equal(ErrorCode.ElectionNotNeeded, elected[0].Error?.Code);
        Assert.Null(elected[1].Error);
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Partitions.Single(p => p.Partition == 2).LeaderId == 3, "partition 2 led by broker 3 again");

        // A reassignment through the brokers (RF 3 -> 2 for partition 0), listed while it runs and done afterwards.
        var moved = await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [new TopicPartition(Topic, 0)] = [1, 0] });
        Assert.Null(Assert.Single(moved).Error);
        await WaitForAsync(() => admin.ListPartitionReassignmentsAsync(), r => r.Count == 0, "no reassignment left");
        await WaitForAsync(() => admin.DescribeTopicAsync(Topic), t => t.Partitions.Single(p => p.Partition == 0).Replicas.SequenceEqual([1, 0]), "partition 0 on brokers 1 and 0");

        // The quorum never moved: every request above went through brokers standing in for node 2.
        await using var controllerAdmin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[2].BootstrapServers);
        Assert.Equal(2, (await controllerAdmin.DescribeQuorumAsync()).LeaderId);
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);
}
