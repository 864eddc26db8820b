using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Groups;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Tests.Unit;

public class OffsetResetPlannerTests
{
    private static readonly PartitionOffsets[] Offsets =
    [
        new(new TopicPartition("t", 1), Committed: 40, LogStart: 10, LogEnd: 100, OffsetForTime: 55),
        new(new TopicPartition("t", 0), Committed: null, LogStart: 0, LogEnd: 20, OffsetForTime: -1),
    ];

    [Fact]
    public void EarliestMovesToLogStartInPartitionOrder()
    {
        var plan = OffsetResetPlanner.Plan(new ResetSpec(ResetStrategy.Earliest), Offsets);

        Assert.Equal([0, 1], plan.Select(p => p.Partition.Partition));
        Assert.Equal([0L, 10L], plan.Select(p => p.NewOffset));
        Assert.Equal([null, 40L], plan.Select(p => p.CurrentOffset));
    }

    [Fact]
    public void LatestMovesToLogEnd()
    {
        var plan = OffsetResetPlanner.Plan(new ResetSpec(ResetStrategy.Latest), Offsets);
        Assert.Equal([20L, 100L], plan.Select(p => p.NewOffset));
    }

    [Theory]
    [InlineData(50, 20, 50)]
    [InlineData(5, 5, 10)]
    [InlineData(500, 20, 100)]
    public void ExplicitOffsetIsClampedIntoTheLog(long requested, long expected0, long expected1)
    {
        var plan = OffsetResetPlanner.Plan(new ResetSpec(ResetStrategy.Offset, requested), Offsets);
        Assert.Equal([expected0, expected1], plan.Select(p => p.NewOffset));
    }

    [Fact]
    public void DatetimeUsesOffsetForTimeAndLogEndWhenNoRecordIsThatLate()
    {
        var plan = OffsetResetPlanner.Plan(new ResetSpec(ResetStrategy.Datetime, 1_700_000_000_000), Offsets);
        Assert.Equal([20L, 55L], plan.Select(p => p.NewOffset));
    }

    [Fact]
    public void EmptyLogPlansOffsetZero()
    {
        var empty = new PartitionOffsets(new TopicPartition("e", 0), null, 0, 0);
        Assert.Equal(0, OffsetResetPlanner.Target(new ResetSpec(ResetStrategy.Offset, 7), empty));
        Assert.Equal(0, OffsetResetPlanner.Target(new ResetSpec(ResetStrategy.Datetime, 1), empty));
    }

    [Fact]
    public void SpecNeedsExactlyOneStrategy()
    {
        Assert.Throws<CommandException>(() => ResetOffsetsCommand.ParseSpec(false, false, null, null));
        Assert.Throws<CommandException>(() => ResetOffsetsCommand.ParseSpec(true, true, null, null));
        Assert.Throws<CommandException>(() => ResetOffsetsCommand.ParseSpec(true, false, 5, null));
        Assert.Throws<CommandException>(() => ResetOffsetsCommand.ParseSpec(false, false, -1, null));
        Assert.Equal(new ResetSpec(ResetStrategy.Offset, 5), ResetOffsetsCommand.ParseSpec(false, false, 5, null));
        Assert.Equal(new ResetSpec(ResetStrategy.Latest), ResetOffsetsCommand.ParseSpec(false, true, null, null));
    }

    [Theory]
    [InlineData("2024-05-01T12:00:00Z", 1714564800000)]
    [InlineData("2024-05-01T12:00:00", 1714564800000)]
    [InlineData("2024-05-01T14:00:00+02:00", 1714564800000)]
    [InlineData("2024-05-01T12:00:00.250Z", 1714564800250)]
    public void DatetimeIsIso8601UtcByDefault(string text, long expectedMs)
    {
        var spec = ResetOffsetsCommand.ParseSpec(false, false, null, text);
        Assert.Equal(ResetStrategy.Datetime, spec.Strategy);
        Assert.Equal(expectedMs, spec.Value);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("12:00")]
    [InlineData("2024-13-01T00:00:00Z")]
    public void BadDatetimeIsAUsageError(string text)
    {
        var ex = Assert.Throws<CommandException>(() => ResetOffsetsCommand.ParseSpec(false, false, null, text));
        Assert.Contains("ISO-8601", ex.Message, StringComparison.Ordinal);
    }
}
