using KafkaOperator.Operator.Hosting;

namespace KafkaOperator.Operator.Tests.Hosting;

public sealed class OperatorSettingsTests
{
    [Fact]
    public void Parses_both_option_forms()
    {
        var s = OperatorSettings.Parse(["--namespace=kafka", "--broker-image", "img:1", "--port=9000", "--leader-election=false", "--plain-logs"]);
        Assert.Equal("kafka", s.WatchNamespace);
        Assert.Equal("img:1", s.BrokerImage);
        Assert.Equal(9000, s.Port);
        Assert.False(s.LeaderElection);
        Assert.False(s.JsonLogs);
        Assert.Equal(TimeSpan.FromMinutes(5), s.BrokerReadyTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), s.DrainTimeout);
    }

    [Fact]
    public void Parses_the_roll_and_drain_timeouts()
    {
        var s = OperatorSettings.Parse(["--broker-ready-timeout=90s", "--drain-timeout", "2h"]);
        Assert.Equal(TimeSpan.FromSeconds(90), s.BrokerReadyTimeout);
        Assert.Equal(TimeSpan.FromHours(2), s.DrainTimeout);
        Assert.Equal(TimeSpan.FromMinutes(45), OperatorSettings.Parse(["--drain-timeout=45m"]).DrainTimeout);
    }

    [Theory]
    [InlineData("--port=abc", "--port must be a non-negative integer")]
    [InlineData("--nope=1", "unknown option --nope")]
    [InlineData("--nope", "unknown option --nope")]
    [InlineData("--leader-election=maybe", "--leader-election must be true or false")]
    [InlineData("stray", "unexpected argument 'stray'")]
    [InlineData("--drain-timeout=30", "--drain-timeout must be a duration such as 90s, 30m or 2h, got '30'")]
    [InlineData("--broker-ready-timeout=0m", "--broker-ready-timeout must be a duration")]
    public void Bad_options_get_a_clear_message(string arg, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => OperatorSettings.Parse([arg]));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
