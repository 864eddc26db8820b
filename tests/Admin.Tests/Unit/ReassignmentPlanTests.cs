using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Reassign;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Tests.Unit;

public class ReassignmentPlanTests
{
    [Fact]
    public void KafkasPlanFormatIsRead()
    {
        var plan = ReassignmentPlan.Parse("""
            {"version":1,"partitions":[
              {"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},
              {"topic":"b","partition":3,"replicas":[3]}]}
            """);

        Assert.Equal([new TopicPartition("a", 0), new TopicPartition("b", 3)], plan.Partitions.Select(p => p.Partition));
        Assert.Equal([1, 2], plan.Partitions[0].Replicas);
        Assert.Equal([3], plan.Partitions[1].Replicas);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"version":1}""")]
    [InlineData("""{"version":2,"partitions":[]}""")]
    [InlineData("""{"version":1,"partitions":[]}""")]
    [InlineData("""{"partitions":[{"topic":"a","partition":-1,"replicas":[1]}]}""")]
    [InlineData("""{"partitions":[{"topic":"a","partition":0,"replicas":["x"]}]}""")]
    [InlineData("""{"partitions":[{"topic":"a","partition":0}]}""")]
    [InlineData("""{"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}""")]
    public void ABadPlanIsAUsageError(string json)
    {
        var ex = Assert.Throws<CommandException>(() => ReassignmentPlan.Parse(json));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
    }

    [Fact]
    public void ThrottledReplicaListsAreMergedWithWhatIsSet()
    {
        Assert.Equal("0:1,0:2,1:3", Throttles.Merge("0:1, 0:2", ["0:2", "1:3"]));
        Assert.Equal("*", Throttles.Merge("*", ["0:2"]));
        Assert.Equal("0:2", Throttles.Merge(null, ["0:2"]));
    }

    [Fact]
    public void TheProgressLineShowsPartitionsRecordsRateAndEta()
    {
        var status = new ReassignStatusResult(4, 1, 2, 5000, 250, 20, false, []);

        Assert.Equal("Partitions: 1 done, 2 in progress, 1 not matching, of 4   Records left: 5000   Rate: 250 records/s   ETA: 20 s",
            ReassignViews.ProgressLine(status));
    }

    [Fact]
    public void TheProgressLineShowsBytesAndAByteRateWhenTheBrokersReportSizes()
    {
        var status = new ReassignStatusResult(4, 1, 2, 5000, 250, 10, false, [], BytesLeft: 25_000_000, BytesPerSecond: 2_500_000);

        Assert.Equal("Partitions: 1 done, 2 in progress, 1 not matching, of 4   Bytes left: 25.0 MB   Records left: 5000   Rate: 2.5 MB/s   ETA: 10 s",
            ReassignViews.ProgressLine(status));
    }
}
