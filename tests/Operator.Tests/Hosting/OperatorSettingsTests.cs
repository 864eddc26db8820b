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
    }

    [Theory]
    [InlineData("--port=abc", "--port must be a non-negative integer")]
    [InlineData("--nope=1", "unknown option --nope")]
    [InlineData("--nope", "unknown option --nope")]
    [InlineData("--leader-election=maybe", "--leader-election must be true or false")]
    [InlineData("stray", "unexpected argument 'stray'")]
    public void Bad_options_get_a_clear_message(string arg, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => OperatorSettings.Parse([arg]));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
