using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace KafkaOperator.Operator.Metrics;

/// <summary>
/// The operator's Prometheus metrics, rendered by hand in the text exposition format (version 0.0.4).
/// Thread-safe: counters are updated under a lock per series, rendering takes a consistent-enough snapshot.
/// </summary>
public sealed class OperatorMetrics
{
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly ConcurrentDictionary<(string Controller, string Result), long> _reconciles = new();
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _durations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<int>> _queueDepth = new(StringComparer.Ordinal);
    private long _leader;

    public void ReconcileCompleted(string controller, bool success, TimeSpan duration)
    {
        _reconciles.AddOrUpdate((controller, success ? "success" : "error"), 1, (_, v) => v + 1);
        if (!success)
        {
            _errors.AddOrUpdate(controller, 1, (_, v) => v + 1);
        }
        _durations.GetOrAdd(controller, _ => new Histogram()).Observe(duration.TotalSeconds);
    }

    public void RegisterQueue(string controller, Func<int> depth) => _queueDepth[controller] = depth;

    public void SetLeader(bool leader) => Interlocked.Exchange(ref _leader, leader ? 1 : 0);

    public long ReconcileCount(string controller, bool success) => _reconciles.GetValueOrDefault((controller, success ? "success" : "error"));

    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# HELP kafka_operator_reconcile_total Reconcile passes by controller and result.\n");
        sb.Append("# TYPE kafka_operator_reconcile_total counter\n");
        foreach (var ((controller, result), value) in _reconciles.OrderBy(kv => kv.Key.Controller, StringComparer.Ordinal).ThenBy(kv => kv.Key.Result, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"kafka_operator_reconcile_total{{controller=\"{Escape(controller)}\",result=\"{result}\"}} {value}\n");
        }
        sb.Append("# HELP kafka_operator_reconcile_errors_total Failed reconcile passes by controller.\n");
        sb.Append("# TYPE kafka_operator_reconcile_errors_total counter\n");
        foreach (var (controller, value) in _errors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"kafka_operator_reconcile_errors_total{{controller=\"{Escape(controller)}\"}} {value}\n");
        }
        sb.Append("# HELP kafka_operator_reconcile_duration_seconds Duration of reconcile passes.\n");
        sb.Append("# TYPE kafka_operator_reconcile_duration_seconds histogram\n");
        foreach (var (controller, h) in _durations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            h.Render(sb, "kafka_operator_reconcile_duration_seconds", $"controller=\"{Escape(controller)}\"");
        }
        sb.Append("# HELP kafka_operator_queue_depth Keys waiting in the work queue.\n");
        sb.Append("# TYPE kafka_operator_queue_depth gauge\n");
        foreach (var (controller, depth) in _queueDepth.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"kafka_operator_queue_depth{{controller=\"{Escape(controller)}\"}} {depth()}\n");
        }
        sb.Append("# HELP kafka_operator_leader 1 when this replica holds the leader lease.\n");
        sb.Append("# TYPE kafka_operator_leader gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"kafka_operator_leader {Interlocked.Read(ref _leader)}\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Histogram
    {
        private readonly object _lock = new();
        private readonly long[] _counts = new long[Buckets.Length];
        private long _count;
        private double _sum;

        public void Observe(double value)
        {
            lock (_lock)
            {
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (value <= Buckets[i])
                    {
                        _counts[i]++;
                    }
                }
                _count++;
                _sum += value;
            }
        }

        public void Render(StringBuilder sb, string name, string labels)
        {
            lock (_lock)
            {
                for (var i = 0; i < Buckets.Length; i++)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{Buckets[i].ToString(CultureInfo.InvariantCulture)}\"}} {_counts[i]}\n");
                }
                sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {_count}\n");
                sb.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {_sum.ToString(CultureInfo.InvariantCulture)}\n");
                sb.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {_count}\n");
            }
        }
    }
}
