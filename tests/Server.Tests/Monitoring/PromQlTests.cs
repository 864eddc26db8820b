using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.Monitoring;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("sum by (namespace, kafka_cluster) (a_total{x=\"y\"}) > 0", "a_total")]
    [InlineData("max by (n) (hw) - on (n) group_right () hw > 100", "hw")]
    [InlineData("sum(a) BY (le) AND ON(le) b unless c offset 5m", "a b c")]
    [InlineData("deriv(sum by (g) (lag)[10m:1m]) > 0 and lag > 0", "lag")]
    [InlineData("histogram_quantile(0.99, sum by (request, le) (rate(t_bucket{s=~\"$x\",q=\"{not}\"}[$__rate_interval])))", "t_bucket")]
    [InlineData("count(up{kafka_cluster!=\"\"} == bool 1) / 1e3 + Inf", "up")]
    [InlineData("label_replace(m, \"dst\", \"$1\", \"src\", \"(.*)\") # comment names_nothing", "m")]
    [InlineData("max by (topic) (kafka_topic_hotkey_share{topic=~\"${topic}\"}) > 0.7", "kafka_topic_hotkey_share")]
    [InlineData("label_values(kafka_log_log_size{namespace=\"$namespace\"}, topic)", "kafka_log_log_size")]
    [InlineData("label_values(namespace)", "")]
    public void Finds_the_metric_names_of_an_expression(string expr, string names) =>
        Assert.Equal(names.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), PromQl.MetricNames(expr));

    [Fact]
    public void Every_rule_and_dashboard_query_names_a_metric()
    {
        // A query whose names the tokenizer lost would pass the name checks vacuously.
        var all = MonitoringConfig.AllExpressions(RepoPaths.Root);
        Assert.True(all.Count > 30, $"{all.Count} expressions");
        var nameless = all.Where(e => e.Names.Count == 0).Select(e => e.Where).ToList();
        Assert.True(nameless.Count == 0, "expressions without a metric name: " + string.Join(", ", nameless));
    }
}
