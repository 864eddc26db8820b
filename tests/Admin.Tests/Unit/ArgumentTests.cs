using KafkaOperator.Admin.Commands;

namespace KafkaOperator.Admin.Tests.Unit;

public class ArgumentTests
{
    [Fact]
    public void ConfigPairsSplitOnTheFirstEquals()
    {
        var pairs = ConfigArgs.ParsePairs(["retention.ms=1000", "message.format=a=b", "cleanup.policy="], "--config");

        Assert.Equal("1000", pairs["retention.ms"]);
        Assert.Equal("a=b", pairs["message.format"]);
        Assert.Equal("", pairs["cleanup.policy"]);
    }

    [Theory]
    [InlineData("noequals")]
    [InlineData("=value")]
    public void MalformedConfigPairIsAUsageError(string value)
    {
        var ex = Assert.Throws<CommandException>(() => ConfigArgs.ParsePairs([value], "--set"));
        Assert.Contains("--set expects key=value", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
    }

    [Fact]
    public void DuplicateConfigKeyIsRejected()
    {
        Assert.Throws<CommandException>(() => ConfigArgs.ParsePairs(["a=1", "a=2"], "--config"));
    }

    [Theory]
    [InlineData("localhost:9092", 1)]
    [InlineData("a:1, b:2 ,c:3", 3)]
    [InlineData("[::1]:9092", 1)]
    public void BootstrapListIsValidated(string value, int count) =>
        Assert.Equal(count, CommandContext.ParseBootstrap(value).Count);

    [Theory]
    [InlineData("localhost")]
    [InlineData("host:port")]
    [InlineData("host:0")]
    [InlineData(":9092")]
    [InlineData(" , ")]
    public void BadBootstrapIsAUsageError(string value) =>
        Assert.Throws<CommandException>(() => CommandContext.ParseBootstrap(value));

    [Fact]
    public async Task UnknownCommandFailsWithoutStackTrace()
    {
        var result = await Cli.RunAsync(null, "topics", "frobnicate");
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Err + result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadBootstrapFromEnvironmentIsReportedBeforeConnecting()
    {
        var result = await Cli.RunAsync("not-a-host-port", "topics", "list");
        Cli.AssertCleanFailure(result, "is not host:port");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    [Fact]
    public async Task UnreachableBrokerIsOneErrorLine()
    {
        // Port 1 on loopback refuses connections immediately.
        var result = await Cli.RunAsync(null, "topics", "list", "--bootstrap-server", "127.0.0.1:1", "--timeout", "2");
        Cli.AssertCleanFailure(result, "cannot reach the cluster");
        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ResetOffsetsWithoutStrategyIsAUsageError()
    {
        var result = await Cli.RunAsync("127.0.0.1:1", "groups", "reset-offsets", "g", "--topic", "t");
        Cli.AssertCleanFailure(result, "exactly one of --to-earliest");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    [Fact]
    public async Task AlterConfigWithNothingToChangeIsAUsageError()
    {
        var result = await Cli.RunAsync("127.0.0.1:1", "topics", "alter-config", "t");
        Cli.AssertCleanFailure(result, "nothing to change");
    }

    [Fact]
    public async Task CreateWithZeroPartitionsIsAUsageError()
    {
        var result = await Cli.RunAsync("127.0.0.1:1", "topics", "create", "t", "--partitions", "0");
        Cli.AssertCleanFailure(result, "--partitions must be at least 1");
    }
}
