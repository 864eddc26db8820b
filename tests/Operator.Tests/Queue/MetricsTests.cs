using KafkaOperator.Operator.Metrics;

namespace KafkaOperator.Operator.Tests.Queue;

public sealed class MetricsTests
{
    [Fact]
    public void Renders_prometheus_text_with_counters_histogram_and_gauges()
    {
        var m = new OperatorMetrics();
        m.ReconcileCompleted("kafkatopic", true, TimeSpan.FromMilliseconds(30));
        m.ReconcileCompleted("kafkatopic", false, TimeSpan.FromSeconds(2));
        m.RegisterQueue("kafkatopic", () => 7);
        m.SetLeader(true);
        var text = m.Render();
        Assert.Contains("kafka_operator_reconcile_total{controller=\"kafkatopic\",result=\"success\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_reconcile_errors_total{controller=\"kafkatopic\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_reconcile_duration_seconds_bucket{controller=\"kafkatopic\",le=\"0.05\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_reconcile_duration_seconds_bucket{controller=\"kafkatopic\",le=\"+Inf\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_reconcile_duration_seconds_count{controller=\"kafkatopic\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_queue_depth{controller=\"kafkatopic\"} 7\n", text, StringComparison.Ordinal);
        Assert.Contains("kafka_operator_leader 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE kafka_operator_reconcile_duration_seconds histogram\n", text, StringComparison.Ordinal);
    }
}
