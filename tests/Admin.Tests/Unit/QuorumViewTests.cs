using System.Globalization;
using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Tests.Unit;

public class QuorumViewTests
{
    private static readonly QuorumDescription Quorum = new(1, 4, 120,
        [new QuorumReplica(0, 120, 9_500, 9_500, 0), new QuorumReplica(1, 121, 10_000, 10_000, 0), new QuorumReplica(2, 100, -1, -1, 20)], []);

    [Fact]
    public void DetailMarksTheLeaderAndTurnsTimestampsIntoAges()
    {
        var detail = QuorumViews.Detail(Quorum, nowMs: 10_000);

        Assert.Equal((1, 4, 120L, 20L), (detail.LeaderId, detail.LeaderEpoch, detail.HighWatermark, detail.MaxLag));
        Assert.Equal(["follower", "leader", "follower"], detail.Voters.Select(v => v.Status));
        Assert.Equal(500, detail.Voters[0].LastFetchAgeMs);
        Assert.Equal(0, detail.Voters[1].LastFetchAgeMs);
        Assert.Null(detail.Voters[2].LastFetchAgeMs);
        Assert.Null(detail.Voters[2].LastCaughtUpTimestamp);
        Assert.Empty(detail.Observers);
    }

    [Fact]
    public void TableShowsStatusLineAndOneRowPerVoter()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        QuorumViews.WriteDetail(writer, QuorumViews.Detail(Quorum, nowMs: 10_000));

        Assert.Equal(
            "Leader: 1   Epoch: 4   HighWatermark: 120   MaxLag: 20   Voters: 3   Observers: 0\n" +
            "\n" +
            "NODE  STATUS    LOG-END  LAG  LAST-FETCH  LAST-CAUGHT-UP\n" +
            "   0  follower      120    0  500 ms ago      500 ms ago\n" +
            "   1  leader        121    0    0 ms ago        0 ms ago\n" +
            "   2  follower      100   20           -               -\n",
            writer.ToString());
    }

    [Fact]
    public void JsonKeepsUnknownValuesAsNull()
    {
        var json = JsonDocument.Parse(JsonOutput.Serialize(QuorumViews.Detail(Quorum, nowMs: 10_000))).RootElement;

        Assert.Equal(1, json.GetProperty("leaderId").GetInt32());
        var voters = json.GetProperty("voters");
        Assert.Equal(3, voters.GetArrayLength());
        Assert.Equal("leader", voters[1].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, voters[2].GetProperty("lastFetchTimestamp").ValueKind);
        Assert.Equal(20, voters[2].GetProperty("lag").GetInt64());
    }

    [Theory]
    [InlineData(850L, "850 ms ago")]
    [InlineData(12_345L, "12.3 s ago")]
    [InlineData(300_000L, "5.0 min ago")]
    [InlineData(null, null)]
    public void AgesAreHumanReadable(long? ms, string? expected) => Assert.Equal(expected, QuorumViews.Age(ms));
}
