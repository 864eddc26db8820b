using System.Globalization;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>
/// The broker keys of the hot-key sketch (not Kafka keys; static: a partition takes them when its replica is
/// created). The bounds keep a misconfiguration from costing memory or time on the produce path unnoticed: a bad
/// value stops the broker naming the key and its range.
/// </summary>
public static class HotKeyConfig
{
    public const string SketchSizeKey = "metrics.hotkey.sketch.size";
    public const string SampleIntervalKey = "metrics.hotkey.sample.interval.ms";
    public const string SamplesPerBatchKey = "metrics.hotkey.samples.per.batch";
    public const string InflateEveryKey = "metrics.hotkey.compressed.inflate.every";
    public const string HalfLifeKey = "metrics.hotkey.half.life.ms";

    private static readonly HotKeyOptions Defaults = HotKeyOptions.Default;

    public static readonly IReadOnlyList<ConfigKey> Keys =
    [
        // 1024 counters are about 53 KB per led partition that sees keyed records.
        new(SketchSizeKey, ConfigType.Int, Text(Defaults.SketchSize)) { Min = 1, Max = 1024 },
        new(SampleIntervalKey, ConfigType.Long, Text(Defaults.SampleIntervalMs)) { Min = 0, Max = 60_000 },
        new(SamplesPerBatchKey, ConfigType.Int, Text(Defaults.SamplesPerBatch)) { Min = 1, Max = 4096 },
        new(InflateEveryKey, ConfigType.Int, Text(Defaults.InflateEvery)) { Min = 1, Max = 1_000_000 },
        // Halvings must leave a window to count in; a day bounds how long a past burst dominates.
        new(HalfLifeKey, ConfigType.Long, Text(Defaults.HalfLifeMs)) { Min = 1000, Max = 86_400_000 },
    ];

    public static HotKeyOptions From(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new HotKeyOptions(config.GetInt(SketchSizeKey), config.GetLong(SampleIntervalKey), config.GetInt(SamplesPerBatchKey),
            config.GetInt(InflateEveryKey), config.GetLong(HalfLifeKey));
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
