using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Balancer;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Tests.Unit;

public sealed class ReassignPlanViewTests
{
    private static TopicDescription Topic(string name, params int[][] replicas) =>
        new(name, Guid.NewGuid(), false, [.. replicas.Select((r, i) => new PartitionMetadata(i, r[0], 0, r, r, [], ErrorCode.None))], null);

    private static ClusterDescription Cluster(params (int Id, string? Rack)[] brokers) =>
        new("c", 0, [.. brokers.Select(b => new BrokerNode(b.Id, "h", 9092, b.Rack))]);

    [Fact]
    public void A_new_broker_gets_replicas_and_the_plan_is_kafkas_reassignment_json()
    {
        var cluster = Cluster((0, "a"), (1, "b"), (2, "a"));
        var topics = new[] { Topic("orders", [0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]) };

        var plan = ReplicaBalancer.Plan(ReassignPlanView.Request(cluster, topics, new Dictionary<(string, int), long>(), [2], []));
        var summary = ReassignPlanView.Summary(plan, sizesKnown: false);
        var json = ReassignPlanView.ReassignmentJson(summary.Reassignment);

        using var document = JsonDocument.Parse(json);
        Assert.Equal(1, document.RootElement.GetProperty("version").GetInt32());
        var partitions = document.RootElement.GetProperty("partitions").EnumerateArray().ToList();
        Assert.NotEmpty(partitions);
        Assert.All(partitions, p => Assert.Equal(["topic", "partition", "replicas"], p.EnumerateObject().Select(o => o.Name)));
        // Broker 2 (rack a) takes replicas from broker 0, its rack-mate: every partition keeps one replica per rack,
        // so broker 1, alone in rack b, keeps one of each.
        Assert.Equal(3, summary.Brokers.Single(b => b.Broker == 2).ReplicasAfter);
        Assert.Equal(6, summary.Brokers.Single(b => b.Broker == 1).ReplicasAfter);
        Assert.True(summary.Brokers.Single(b => b.Broker == 2).LeadersAfter > 0);
        Assert.Equal(2, summary.After.MinRackSpread);
        Assert.Equal(summary.LowerBoundMoves, summary.ReplicaMoves);

        using var table = new StringWriter(CultureInfo.InvariantCulture);
        ReassignPlanView.WriteTable(table, summary);
        Assert.Contains("0 -> 3", table.ToString(), StringComparison.Ordinal);
        Assert.Contains("unknown", table.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Broker_ids_must_be_numbers()
    {
        Assert.Equal([3, 4], ReassignPlanView.Ids("3, 4", "--add-brokers"));
        Assert.Empty(ReassignPlanView.Ids(null, "--add-brokers"));
        Assert.Throws<CommandException>(() => ReassignPlanView.Ids("3,x", "--add-brokers"));
    }
}
