using System.Globalization;
using KafkaOperator.Operator.Crds;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>What the KeySkew condition should say.</summary>
public sealed record SkewVerdict(bool Skewed, string Reason, string Message);

/// <summary>
/// The KeySkew condition: True (with a Warning event when it turns so) while the topic's heaviest recent key holds
/// at least spec.keySkewThreshold percent (default 70) of its recent records, as the partition leaders' hot-key
/// sketches report it; False below. Left as it was when the brokers cannot tell (no metrics port reachable).
/// </summary>
public sealed partial class TopicReconciler
{
    public const int DefaultKeySkewThreshold = 70;

    /// <summary>Where key shares come from; null: the condition is not maintained.</summary>
    public IKeySkewReader? KeySkew { get; init; }

    private async Task<SkewVerdict?> KeySkewConditionAsync(KafkaTopic topic, string bootstrap, CancellationToken ct)
    {
        if (KeySkew is null)
            return null;
        var reading = await KeySkew.ReadTopKeyAsync(bootstrap, topic.TopicName, ct).ConfigureAwait(false);
        if (reading is null)
            return null;
        var threshold = topic.Spec.KeySkewThreshold ?? DefaultKeySkewThreshold;
        var c = CultureInfo.InvariantCulture;
        if (reading.Records == 0 || reading.Key.Length == 0)
            return new SkewVerdict(false, "NoHotKey", reading.Records == 0 ? "no recent keyed records" : "no key stands out in recent records");
        var percent = reading.Share * 100;
        var where = string.Join(",", reading.Partitions);
        if (percent < threshold)
        {
            return new SkewVerdict(false, "BelowThreshold",
                string.Create(c, $"top key '{reading.Key}' carries {percent:0.0}% of recent records (threshold {threshold}%)"));
        }
        var message = string.Create(c, $"key '{reading.Key}' carries {percent:0.0}% of recent records (threshold {threshold}%), on partition(s) {where}");
        if (!Conditions.IsTrue(topic.Status?.Conditions, ConditionTypes.KeySkew))
        {
            logger.LogWarning("Topic {Namespace}/{Name}: {Message}", topic.Metadata.NamespaceProperty, topic.Metadata.Name, message);
            await events.RecordAsync(topic, EventTypes.Warning, "KeySkew", message, ct).ConfigureAwait(false);
        }
        return new SkewVerdict(true, "HotKey", message);
    }
}
