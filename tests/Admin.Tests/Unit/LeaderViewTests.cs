using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Tests.Unit;

/// <summary>`leaders elect` argument parsing and report, and `cluster balance` over a three-broker description.</summary>
public class LeaderViewTests
{
    private static PartitionMetadata Partition(int id, int leader, int[] replicas) =>
        new(id, leader, 1, replicas, replicas, [], ErrorCode.None);

    [Fact]
    public void Targets_are_topics_or_topic_colon_partition()
    {
        Assert.Equal([("orders", null), ("orders", (int?)3), ("a.b-c_d", 0)], LeaderCommands.ParseTargets(["orders", "orders:3", "a.b-c_d:0"]));
        Assert.Throws<CommandException>(() => LeaderCommands.ParseTargets(["orders:x"]));
        Assert.Throws<CommandException>(() => LeaderCommands.ParseTargets(["orders:-1"]));
        Assert.Throws<CommandException>(() => LeaderCommands.ParseTargets([":1"]));
    }

    [Fact]
    public void The_election_report_counts_elected_not_needed_and_failed_with_kafka_error_names()
    {
        var report = LeaderViews.Report(ElectionType.Preferred,
        [
            new ElectionResult("t", 0, null),
            new ElectionResult("t", 1, new KafkaException(ErrorCode.ElectionNotNeeded, "leads already")),
            new ElectionResult("t", 2, new KafkaException(ErrorCode.PreferredLeaderNotAvailable, "broker 2 is not in the ISR")),
        ]);
        using var writer = new StringWriter { NewLine = "\n" };

        LeaderViews.WriteElection(writer, report);
        var text = writer.ToString();

        Assert.Equal((1, 1, 1), (report.Elected, report.NotNeeded, report.Failed));
        Assert.Matches(@"(?m)^t\s+0\s+elected\s+-$", text);
        Assert.Matches(@"(?m)^t\s+1\s+ELECTION_NOT_NEEDED\s+leads already$", text);
        Assert.Matches(@"(?m)^t\s+2\s+PREFERRED_LEADER_NOT_AVAILABLE\s+broker 2 is not in the ISR$", text);
        Assert.EndsWith("preferred election: 1 elected, 1 not needed, 1 failed.\n", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(JsonOutput.Serialize(report)).RootElement;
        Assert.Equal("preferred", json.GetProperty("electionType").GetString());
        Assert.Equal("ELECTION_NOT_NEEDED", json.GetProperty("partitions")[1].GetProperty("result").GetString());
        Assert.Equal("leads already", json.GetProperty("partitions")[1].GetProperty("message").GetString());
        Assert.Equal("UNKNOWN_TOPIC_OR_PARTITION", LeaderViews.ErrorName(ErrorCode.UnknownTopicOrPartition));
    }

    [Fact]
    public void Balance_counts_replicas_leaders_and_the_imbalance_the_controller_sees()
    {
        var cluster = new ClusterDescription("c", 0, [new BrokerNode(0, "h", 1, "r0"), new BrokerNode(1, "h", 2, "r1"), new BrokerNode(2, "h", 3, null)]);
        TopicDescription[] topics =
        [
            new("a", Guid.NewGuid(), false,
            [
                Partition(0, 0, [0, 1, 2]),
                Partition(1, 0, [1, 2, 0]),
                Partition(2, 2, [2, 0, 1]),
                Partition(3, 0, [1, 0, 2]),
            ], null),
            new("b", Guid.NewGuid(), false, [Partition(0, 1, [1, 2])], null),
        ];
        LogDirDescription[] dirs =
        [
            new(0, "/d0", [new ReplicaLogInfo("a", 0, 100, 0, false), new ReplicaLogInfo("a", 1, 50, 0, false)], 1000, 500, null),
            new(1, "", [], -1, -1, new KafkaException(ErrorCode.NetworkException, "down")),
            new(2, "/d2", [], 1000, 900, null),
        ];

        var balance = ClusterViews.Balance(cluster, topics, dirs, new RebalanceSettings(true, 10));

        Assert.Equal(5, balance.Partitions);
        Assert.Equal(
        [
            new BrokerBalanceRow(0, "r0", true, 4, 3, 1, 0, 0, false, 150),
            new BrokerBalanceRow(1, "r1", true, 5, 1, 3, 2, 66.7, true, null),
            new BrokerBalanceRow(2, null, true, 5, 1, 1, 0, 0, false, 0),
        ], balance.Brokers);
        using var writer = new StringWriter { NewLine = "\n" };
        ClusterViews.WriteBalance(writer, balance);
        var text = writer.ToString();
        Assert.StartsWith("Controller: 0   Partitions: 5   Auto leader rebalance: on, above 10 %\n", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+1\s+r1\s+live\s+5\s+1\s+3\s+2\s+66\.7 % \*\s+-$", text);
        Assert.Matches(@"(?m)^\s+0\s+r0\s+live\s+4\s+3\s+1\s+0\s+0\.0 %\s+150 B$", text);
        Assert.Contains("* above leader.imbalance.per.broker.percentage", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(JsonOutput.Serialize(balance)).RootElement;
        Assert.Equal(66.7, json.GetProperty("brokers")[1].GetProperty("imbalancePercent").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("brokers")[1].GetProperty("bytes").ValueKind);
    }

    [Fact]
    public void A_broker_that_holds_replicas_but_is_not_live_is_listed_offline()
    {
        var cluster = new ClusterDescription("c", 0, [new BrokerNode(0, "h", 1, null)]);
        TopicDescription[] topics = [new("a", Guid.NewGuid(), false, [Partition(0, 0, [1, 0])], null)];

        var balance = ClusterViews.Balance(cluster, topics, [], null);

        var offline = balance.Brokers.Single(b => b.Broker == 1);
        Assert.False(offline.Live);
        Assert.Equal(100, offline.ImbalancePercent);
        Assert.False(offline.AboveThreshold);
        Assert.Null(balance.AutoLeaderRebalance);
    }
}
