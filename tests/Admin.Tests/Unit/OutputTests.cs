using System.Text.Json;
using KafkaOperator.Admin.Commands;
using KafkaOperator.Admin.Groups;
using KafkaOperator.Admin.Output;
using KafkaOperator.Client.Admin;

namespace KafkaOperator.Admin.Tests.Unit;

public class OutputTests
{
    [Fact]
    public void TableAlignsColumnsAndRightAlignsNumbers()
    {
        var table = new TextTable("TOPIC", "PARTITION", "LAG").AlignRight("PARTITION", "LAG");
        table.AddRow("orders", 0, 12345L);
        table.AddRow("a", 10, null);

        Assert.Equal(
            "TOPIC   PARTITION    LAG\n" +
            "orders          0  12345\n" +
            "a              10      -\n",
            table.ToString());
    }

    [Fact]
    public void TableHasNoTrailingSpacesAndShowsEmptyAsDash()
    {
        var table = new TextTable("NAME", "HOST");
        table.AddRow("long-member-name", "");
        table.AddRow("m", "10.0.0.1");

        var lines = table.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), $"'{l}' has trailing spaces"));
        Assert.Equal("long-member-name  -", lines[1]);
        Assert.Equal(lines[0].IndexOf("HOST", StringComparison.Ordinal), lines[2].IndexOf("10.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public void TableRejectsRowsOfTheWrongWidth()
    {
        Assert.Throws<ArgumentException>(() => new TextTable("A", "B").AddRow("x"));
    }

    [Fact]
    public void LagIsLogEndMinusCommittedAndMissingCommitsAreNull()
    {
        var member = new GroupMemberView("m-1", null, "client-1", "/127.0.0.1", [new TopicPartitions("t", [0, 2])], ["t"]);
        var committed = new[]
        {
            new GroupOffset(new TopicPartition("t", 0), 7, null, null),
            new GroupOffset(new TopicPartition("t", 1), 3, null, null),
            new GroupOffset(new TopicPartition("t", 2), -1, null, null),
        };
        var logEnd = new Dictionary<TopicPartition, long>
        {
            [new TopicPartition("t", 0)] = 10,
            [new TopicPartition("t", 1)] = 3,
            [new TopicPartition("t", 2)] = 5,
        };

        var lags = GroupViews.Lags(committed, logEnd, [member]);

        Assert.Equal([0, 1, 2], lags.Select(l => l.Partition));
        Assert.Equal([3L, 0L, null], lags.Select(l => l.Lag));
        Assert.Equal([7L, 3L, null], lags.Select(l => l.CommittedOffset));
        Assert.Equal(["m-1", null, "m-1"], lags.Select(l => l.MemberId));
        Assert.Equal(3, lags.Sum(l => l.Lag ?? 0));
    }

    [Fact]
    public void LagWithUnknownLogEndIsNull()
    {
        var lags = GroupViews.Lags([new GroupOffset(new TopicPartition("gone", 0), 4, null, null)],
            new Dictionary<TopicPartition, long>(), []);
        Assert.Null(Assert.Single(lags).Lag);
    }

    [Fact]
    public void GroupDetailRendersMembersPartitionsAndTotal()
    {
        var detail = Detail();
        using var writer = new StringWriter { NewLine = "\n" };

        GroupViews.WriteDetail(writer, detail);
        var text = writer.ToString();

        Assert.Contains("Group: g   State: Stable   Protocol: consumer/range", text, StringComparison.Ordinal);
        Assert.Contains("t:0,1", text, StringComparison.Ordinal);
        Assert.Matches(@"t\s+0\s+5\s+9\s+4\s+m-1", text);
        Assert.Matches(@"t\s+1\s+-\s+2\s+-\s+m-1", text);
        Assert.EndsWith("Total lag: at least 4 (unknown for 1 of 2 partitions)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonIsCamelCaseWithExplicitNulls()
    {
        var json = JsonOutput.Serialize(Detail());
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        Assert.Equal("g", root.GetProperty("groupId").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("totalLag").ValueKind);
        Assert.Equal(4, root.GetProperty("knownLag").GetInt64());
        Assert.Equal(1, root.GetProperty("lagUnknownPartitions").GetInt32());
        var partitions = root.GetProperty("partitions");
        Assert.Equal(5, partitions[0].GetProperty("committedOffset").GetInt64());
        Assert.Equal(JsonValueKind.Null, partitions[1].GetProperty("committedOffset").ValueKind);
        Assert.Equal(JsonValueKind.Null, partitions[1].GetProperty("lag").ValueKind);
        Assert.Equal("t", root.GetProperty("members")[0].GetProperty("assignment")[0].GetProperty("topic").GetString());
    }

    [Fact]
    public void NothingCommittedIsUnknownLagNotZero()
    {
        var member = new GroupMemberView("m-1", null, "client-1", "/127.0.0.1", [new TopicPartitions("t", [0, 1])], ["t"]);
        var logEnd = new Dictionary<TopicPartition, long> { [new TopicPartition("t", 0)] = 7, [new TopicPartition("t", 1)] = 3 };
        var detail = new GroupDetail("g", "Stable", "consumer", "range", "0", [member], GroupViews.Lags([], logEnd, [member]));
        using var writer = new StringWriter { NewLine = "\n" };

        GroupViews.WriteDetail(writer, detail);
        var text = writer.ToString();

        Assert.Matches(@"t\s+0\s+-\s+7\s+-\s+m-1", text);
        Assert.EndsWith("Total lag: - (unknown for every partition: no committed offset or no log end offset)\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Total lag: 0", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(JsonOutput.Serialize(detail)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("totalLag").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("partitions")[0].GetProperty("lag").ValueKind);
        Assert.Equal(2, json.GetProperty("lagUnknownPartitions").GetInt32());
    }

    [Fact]
    public void TopicDetailSaysWhenSizesAreNotReported()
    {
        var detail = new TopicDetail("orders", Guid.Empty.ToString(), false,
            [new PartitionDetail(0, 1, 4, [1], [1], [], 2, 12, null, null)],
            new Dictionary<string, string?> { ["retention.ms"] = "1000" }, false, TopicCommands.SizesUnavailable);
        using var writer = new StringWriter { NewLine = "\n" };

        TopicViews.WriteDetail(writer, detail);
        var text = writer.ToString();

        Assert.Contains("Configs: retention.ms=1000", text, StringComparison.Ordinal);
        Assert.Matches(@"\n\s*0\s+1\s+-\s+4\s+1\s+1\s+-\s+2\s+12\s+10\s+-\n", text);
        Assert.Contains("SIZE: not reported", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(JsonOutput.Serialize(detail)).RootElement;
        Assert.False(json.GetProperty("sizesReported").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("partitions")[0].GetProperty("sizeBytes").ValueKind);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GiB")]
    public void BytesAreHumanReadable(long bytes, string expected) => Assert.Equal(expected, TopicViews.FormatBytes(bytes));

    [Fact]
    public void ResetRendersCurrentAndNewOffsets()
    {
        using var writer = new StringWriter { NewLine = "\n" };
        GroupViews.WriteReset(writer, new ResetResult("g", "to-earliest", false, [new ResetRow("t", 0, null, 0), new ResetRow("t", 1, 8, 2)]));
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^g\s+t\s+0\s+-\s+0$", lines[1]);
        Assert.Matches(@"^g\s+t\s+1\s+8\s+2$", lines[2]);
    }

    private static GroupDetail Detail()
    {
        var member = new GroupMemberView("m-1", null, "client-1", "/127.0.0.1", [new TopicPartitions("t", [0, 1])], ["t"]);
        return new GroupDetail("g", "Stable", "consumer", "range", "0", [member],
        [
            new PartitionLag("t", 0, 5, 9, 4, "m-1", "client-1", "/127.0.0.1"),
            new PartitionLag("t", 1, null, 2, null, "m-1", "client-1", "/127.0.0.1"),
        ]);
    }
}
