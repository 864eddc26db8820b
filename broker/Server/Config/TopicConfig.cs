using System.Globalization;

namespace KafkaOperator.Server.Config;

/// <summary>
/// The effective configuration of one topic: its overrides on top of the broker defaults. Immutable; a config
/// change builds a new instance, so readers on hot paths see a consistent snapshot without locks.
/// </summary>
public sealed class TopicConfig
{
    private readonly BrokerConfig _broker;
    private readonly Dictionary<string, string> _overrides;

    private TopicConfig(BrokerConfig broker, Dictionary<string, string> overrides)
    {
        _broker = broker;
        _overrides = overrides;
        SegmentBytes = Int("segment.bytes");
        SegmentMs = Long("segment.ms");
        SegmentJitterMs = Long("segment.jitter.ms");
        SegmentIndexBytes = Int("segment.index.bytes");
        RetentionMs = Long("retention.ms");
        RetentionBytes = Long("retention.bytes");
        var policy = ConfigKey.SplitList(Value("cleanup.policy"));
        Compact = policy.Contains("compact");
        Delete = policy.Contains("delete");
        MaxMessageBytes = Int("max.message.bytes");
        LogAppendTime = Value("message.timestamp.type") == "LogAppendTime";
        TimestampBeforeMaxMs = Long("message.timestamp.before.max.ms");
        TimestampAfterMaxMs = Long("message.timestamp.after.max.ms");
        MinInsyncReplicas = Int("min.insync.replicas");
        IndexIntervalBytes = Int("index.interval.bytes");
        FlushMessages = Long("flush.messages");
        FlushMs = Long("flush.ms");
        DeleteRetentionMs = Long("delete.retention.ms");
        FileDeleteDelayMs = Long("file.delete.delay.ms");
        MinCompactionLagMs = Long("min.compaction.lag.ms");
        MaxCompactionLagMs = Long("max.compaction.lag.ms");
        MinCleanableDirtyRatio = double.Parse(Value("min.cleanable.dirty.ratio") ?? "0.5", CultureInfo.InvariantCulture);
        CompressionType = Value("compression.type") ?? "producer";
        Preallocate = Value("preallocate") == "true";
    }

    public IReadOnlyDictionary<string, string> Overrides => _overrides;

    public int SegmentBytes { get; }
    public long SegmentMs { get; }
    public long SegmentJitterMs { get; }
    public int SegmentIndexBytes { get; }
    public long RetentionMs { get; }
    public long RetentionBytes { get; }
    public bool Compact { get; }
    public bool Delete { get; }
    public int MaxMessageBytes { get; }
    public bool LogAppendTime { get; }
    public long TimestampBeforeMaxMs { get; }
    public long TimestampAfterMaxMs { get; }
    public int MinInsyncReplicas { get; }
    public int IndexIntervalBytes { get; }
    public long FlushMessages { get; }
    public long FlushMs { get; }
    public long DeleteRetentionMs { get; }
    public long FileDeleteDelayMs { get; }
    public long MinCompactionLagMs { get; }
    public long MaxCompactionLagMs { get; }
    public double MinCleanableDirtyRatio { get; }
    public string CompressionType { get; }
    public bool Preallocate { get; }

    /// <summary>Builds a topic config; overrides must already be validated (see <see cref="ValidateOverrides"/>).</summary>
    public static TopicConfig Create(BrokerConfig broker, IReadOnlyDictionary<string, string>? overrides)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var copy = overrides is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(overrides, StringComparer.Ordinal);
        return new TopicConfig(broker, copy);
    }

    /// <summary>Null when every override is a known topic key with a valid value; otherwise the first problem.</summary>
    public static string? ValidateOverrides(IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        foreach (var (k, v) in overrides)
        {
            if (TopicConfigDefs.Validate(k, v) is { } error)
                return error;
        }
        return null;
    }

    public TopicConfig WithOverrides(IReadOnlyDictionary<string, string> overrides) => Create(_broker, overrides);

    /// <summary>Recomputes against the broker's current dynamic defaults.</summary>
    public TopicConfig Refresh() => new(_broker, _overrides);

    /// <summary>The effective value and its source, as DescribeConfigs reports a topic config.</summary>
    public ConfigSynonym Resolve(string name)
    {
        var synonyms = Synonyms(name);
        return synonyms.Count > 0 ? synonyms[0] with { Name = name } : new(name, null, ConfigSource.Unknown);
    }

    /// <summary>Topic override first, then the broker synonyms (values converted to the topic key's unit).</summary>
    public List<ConfigSynonym> Synonyms(string name)
    {
        var result = new List<ConfigSynonym>();
        if (_overrides.TryGetValue(name, out var v))
            result.Add(new(name, v, ConfigSource.TopicConfig));
        var key = TopicConfigDefs.Find(name);
        if (key is null)
            return result;
        if (key.BrokerName is { } brokerName)
        {
            foreach (var s in _broker.Synonyms(brokerName))
                result.Add(s);
        }
        else if (key.Key.DefaultValue is { } d)
        {
            result.Add(new(name, d, ConfigSource.DefaultConfig));
        }
        if (result.Count == 0 && key.Key.DefaultValue is { } fallback)
            result.Add(new(name, fallback, ConfigSource.DefaultConfig));
        return result;
    }

    /// <summary>The effective value in the topic key's unit.</summary>
    public string? Value(string name)
    {
        if (_overrides.TryGetValue(name, out var v))
            return v;
        var synonyms = Synonyms(name);
        if (synonyms.Count == 0)
            return TopicConfigDefs.Find(name)?.Key.DefaultValue;
        var value = BrokerConfig.ToTopicUnit(synonyms[0]);
        return value ?? TopicConfigDefs.Find(name)?.Key.DefaultValue;
    }

    private int Int(string name) => BrokerConfig.ParseInt(Value(name) ?? "0");
    private long Long(string name) => BrokerConfig.ParseLong(Value(name) ?? "0");
}
