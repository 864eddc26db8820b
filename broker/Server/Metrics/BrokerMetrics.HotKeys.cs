using System.Diagnostics.Metrics;
using KafkaOperator.Server.Metrics.HotKeys;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// Hot-key gauges, per topic, over the partitions this broker leads (see <see cref="TopicSkewReport"/>); a topic
/// whose partitions are all led by one broker gets its exact figures there, otherwise <c>max by (topic)</c> is an
/// upper bound of the key share and kafkactl / the operator merge every leader's sketch.
/// </summary>
public sealed partial class BrokerMetrics
{
    private void CreateHotKeyInstruments()
    {
        _meter.CreateObservableGauge("kafka_topic_hotkey_share", () => HotKeys(t => t.HotKeyShare),
            description: "The largest record key's share of the topic's recent records (partitions led by this broker; 0-1)");
        _meter.CreateObservableGauge("kafka_topic_partition_bytes_skew", () => HotKeys(t => t.BytesSkew),
            description: "The busiest partition's recent bytes in over the mean of the topic's partitions led by this broker (1 = even)");
    }

    private IEnumerable<Measurement<double>> HotKeys(Func<(string Topic, double HotKeyShare, double BytesSkew), double> value)
    {
        foreach (var t in TopicSkewReport.PerTopic(_services.Replicas))
            yield return new Measurement<double>(value(t), new KeyValuePair<string, object?>("topic", t.Topic));
    }
}
