using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;

namespace KafkaOperator.Admin.Tests.Unit;

/// <summary>
/// The --under-replicated / --unavailable selection over a three-broker cluster's description, which one in-process
/// broker cannot produce (its ISR always equals its replica set).
/// </summary>
public class TopicHealthViewTests
{
    private static PartitionMetadata Partition(int id, int leader, int epoch, int[] replicas, int[] isr, int[]? offline = null) =>
        new(id, leader, epoch, replicas, isr, offline ?? [], leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None);

    private static readonly TopicDescription[] Topics =
    [
        new("payments", Guid.NewGuid(), false,
        [
            Partition(0, 1, 3, [1, 2, 3], [1, 2, 3]),
            Partition(1, 2, 5, [2, 3, 1], [2, 1], offline: [3]),
            Partition(2, -1, 7, [3, 1, 2], [3], offline: [3]),
        ], null),
        new("audit", Guid.NewGuid(), false,
        [
            Partition(1, 3, 2, [3, 1], [3, 1]),
            Partition(0, 1, 1, [1, 2], [1]),
        ], null),
    ];

    private static readonly IReadOnlySet<int> LiveBrokers = new HashSet<int> { 1, 2 };

    [Fact]
    public void UnderReplicatedIsFewerInSyncReplicasThanReplicasInTopicAndPartitionOrder()
    {
        var selected = TopicViews.Select(Topics, PartitionFilter.UnderReplicated, LiveBrokers);

        Assert.Equal(["audit-0", "payments-1", "payments-2"], selected.Select(p => $"{p.Topic}-{p.Partition}"));
        Assert.Equal((2, 5), (selected[1].Leader, selected[1].LeaderEpoch));
        Assert.Equal([2, 3, 1], selected[1].Replicas);
        Assert.Equal([2, 1], selected[1].Isr);
        Assert.Equal([3], selected[1].Offline);
    }

    [Fact]
    public void UnavailableIsNoLeaderOrALeaderThatIsNotALiveBroker()
    {
        var selected = TopicViews.Select(Topics, PartitionFilter.Unavailable, LiveBrokers);

        // payments-2 has no leader; audit-1's leader 3 is not live (fenced) although the image still names it.
        Assert.Equal(["audit-1", "payments-2"], selected.Select(p => $"{p.Topic}-{p.Partition}"));
    }

    [Fact]
    public void TableNamesTheTopicAndShowsNoLeaderAndNoOfflineReplicasPlainly()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        TopicViews.WriteHealth(writer, TopicViews.Select(Topics, PartitionFilter.UnderReplicated, LiveBrokers));

        Assert.Equal(
            "TOPIC     PARTITION  LEADER  EPOCH  REPLICAS  ISR  OFFLINE\n" +
            "audit             0       1      1  1,2       1    -\n" +
            "payments          1       2      5  2,3,1     2,1  3\n" +
            "payments          2    none      7  3,1,2     3    3\n",
            writer.ToString());
    }

    [Fact]
    public void JsonListsEveryFieldWithIdsAsArrays()
    {
        var json = JsonDocument.Parse(JsonOutput.Serialize(TopicViews.Select(Topics, PartitionFilter.Unavailable, LiveBrokers))).RootElement;

        Assert.Equal(2, json.GetArrayLength());
        var payments = json[1];
        Assert.Equal("payments", payments.GetProperty("topic").GetString());
        Assert.Equal(2, payments.GetProperty("partition").GetInt32());
        Assert.Equal(-1, payments.GetProperty("leader").GetInt32());
        Assert.Equal(7, payments.GetProperty("leaderEpoch").GetInt32());
        Assert.Equal([3, 1, 2], payments.GetProperty("replicas").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal([3], payments.GetProperty("isr").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal([3], payments.GetProperty("offline").EnumerateArray().Select(r => r.GetInt32()));
    }

    [Fact]
    public void DetailTableShowsEpochAndOfflineReplicas()
    {
        var detail = new TopicDetail("payments", Guid.Empty.ToString(), false,
        [
            new PartitionDetail(0, 1, 3, [1, 2, 3], [1, 2, 3], [], 0, 10, null, null, PreferredLeader: true),
            new PartitionDetail(1, -1, 7, [3, 1], [3], [3], null, null, null, "LeaderNotAvailable"),
        ], new Dictionary<string, string?>(), false, null);
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        TopicViews.WriteDetail(writer, detail);

        var lines = writer.ToString().Split('\n');
        Assert.Equal("PARTITION  LEADER  PREFERRED  EPOCH  REPLICAS  ISR    OFFLINE  LOG-START  LOG-END  MESSAGES  SIZE", lines[3]);
        Assert.Equal("        0       1  yes            3  1,2,3     1,2,3  -                0       10        10     -", lines[4]);
        Assert.Equal("        1    none  -              7  3,1       3      3                -        -         -     -", lines[5]);
        Assert.Equal("partition 1: LeaderNotAvailable", lines[6]);
    }
}
