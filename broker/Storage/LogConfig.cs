using System.Globalization;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage;

// Exception policy: FromProperties/Validate throw ArgumentException with a message naming the bad key (the server
// answers InvalidConfig); nothing here does I/O.

/// <summary>Topic-level log configuration with Kafka's names and defaults. Immutable; replace it to update a log.</summary>
public sealed record LogConfig
{
    public const string SegmentBytesKey = "segment.bytes";
    public const string SegmentMsKey = "segment.ms";
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string SegmentIndexBytesKey = "segment.index.bytes";
    public const string IndexIntervalBytesKey = "index.interval.bytes";
    public const string FlushMessagesKey = "flush.messages";
    public const string FlushMsKey = "flush.ms";
    public const string CleanupPolicyKey = "cleanup.policy";
    public const string DeleteRetentionMsKey = "delete.retention.ms";
    public const string MinCleanableDirtyRatioKey = "min.cleanable.dirty.ratio";
    public const string MinCompactionLagMsKey = "min.compaction.lag.ms";
    public const string MaxCompactionLagMsKey = "max.compaction.lag.ms";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string MessageTimestampTypeKey = "message.timestamp.type";
    public const string FileDeleteDelayMsKey = "file.delete.delay.ms";

    public static readonly LogConfig Default = new();

    /// <summary>Every key this record understands, for DescribeConfigs.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        SegmentBytesKey, SegmentMsKey, RetentionMsKey, RetentionBytesKey, SegmentIndexBytesKey, IndexIntervalBytesKey,
        FlushMessagesKey, FlushMsKey, CleanupPolicyKey, DeleteRetentionMsKey, MinCleanableDirtyRatioKey,
        MinCompactionLagMsKey, MaxCompactionLagMsKey, MaxMessageBytesKey, MessageTimestampTypeKey, FileDeleteDelayMsKey,
    ];

    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;
    public long RetentionBytes { get; init; } = -1;
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;
    public int IndexIntervalBytes { get; init; } = 4096;
    public long FlushMessages { get; init; } = long.MaxValue;
    public long FlushMs { get; init; } = long.MaxValue;
    public string CleanupPolicy { get; init; } = "delete";
    public long DeleteRetentionMs { get; init; } = 24L * 60 * 60 * 1000;
    public double MinCleanableDirtyRatio { get; init; } = 0.5;
    public long MinCompactionLagMs { get; init; }
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;
    public long FileDeleteDelayMs { get; init; } = 60_000;

    public bool Compact => HasPolicy("compact");

    public bool Delete => HasPolicy("delete");

    private bool HasPolicy(string policy)
    {
        foreach (var p in CleanupPolicy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(p, policy, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Overlays topic properties on <paramref name="defaults"/>; unknown keys are ignored (the server decides).</summary>
    public static LogConfig FromProperties(IEnumerable<KeyValuePair<string, string?>> properties, LogConfig? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var c = defaults ?? Default;
        foreach (var (key, raw) in properties)
        {
            if (raw is null)
            {
                continue;
            }

            var value = raw.Trim();
            c = key switch
            {
                SegmentBytesKey => c with { SegmentBytes = ParseInt(key, value, 14) },
                SegmentMsKey => c with { SegmentMs = ParseLong(key, value, 1) },
                RetentionMsKey => c with { RetentionMs = ParseLong(key, value, -1) },
                RetentionBytesKey => c with { RetentionBytes = ParseLong(key, value, -1) },
                SegmentIndexBytesKey => c with { SegmentIndexBytes = ParseInt(key, value, 4) },
                IndexIntervalBytesKey => c with { IndexIntervalBytes = ParseInt(key, value, 0) },
                FlushMessagesKey => c with { FlushMessages = ParseLong(key, value, 1) },
                FlushMsKey => c with { FlushMs = ParseLong(key, value, 0) },
                CleanupPolicyKey => c with { CleanupPolicy = ParsePolicy(value) },
                DeleteRetentionMsKey => c with { DeleteRetentionMs = ParseLong(key, value, 0) },
                MinCleanableDirtyRatioKey => c with { MinCleanableDirtyRatio = ParseRatio(key, value) },
                MinCompactionLagMsKey => c with { MinCompactionLagMs = ParseLong(key, value, 0) },
                MaxCompactionLagMsKey => c with { MaxCompactionLagMs = ParseLong(key, value, 1) },
                MaxMessageBytesKey => c with { MaxMessageBytes = ParseInt(key, value, 0) },
                MessageTimestampTypeKey => c with { MessageTimestampType = ParseTimestampType(value) },
                FileDeleteDelayMsKey => c with { FileDeleteDelayMs = ParseLong(key, value, 0) },
                _ => c,
            };
        }

        return c;
    }

    /// <summary>This config as Kafka property strings, in <see cref="Keys"/> order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToProperties()
    {
        static string L(long v) => v.ToString(CultureInfo.InvariantCulture);
        return
        [
            new(SegmentBytesKey, L(SegmentBytes)), new(SegmentMsKey, L(SegmentMs)), new(RetentionMsKey, L(RetentionMs)),
            new(RetentionBytesKey, L(RetentionBytes)), new(SegmentIndexBytesKey, L(SegmentIndexBytes)),
            new(IndexIntervalBytesKey, L(IndexIntervalBytes)), new(FlushMessagesKey, L(FlushMessages)),
            new(FlushMsKey, L(FlushMs)), new(CleanupPolicyKey, CleanupPolicy), new(DeleteRetentionMsKey, L(DeleteRetentionMs)),
            new(MinCleanableDirtyRatioKey, MinCleanableDirtyRatio.ToString(CultureInfo.InvariantCulture)),
            new(MinCompactionLagMsKey, L(MinCompactionLagMs)), new(MaxCompactionLagMsKey, L(MaxCompactionLagMs)),
            new(MaxMessageBytesKey, L(MaxMessageBytes)),
            new(MessageTimestampTypeKey, MessageTimestampType == TimestampType.LogAppendTime ? "LogAppendTime" : "CreateTime"),
            new(FileDeleteDelayMsKey, L(FileDeleteDelayMs)),
        ];
    }

    private static long ParseLong(string key, string value, long min)
    {
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
        {
            throw new ArgumentException($"Invalid value {value} for configuration {key}: expected an integer >= {min}.");
        }

        return v;
    }

    private static int ParseInt(string key, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
        {
            throw new ArgumentException($"Invalid value {value} for configuration {key}: expected an int >= {min}.");
        }

        return v;
    }

    private static double ParseRatio(string key, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || v > 1)
        {
            throw new ArgumentException($"Invalid value {value} for configuration {key}: expected a number in [0,1].");
        }

        return v;
    }

    private static string ParsePolicy(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new ArgumentException($"Invalid value {value} for configuration {CleanupPolicyKey}: expected delete, compact or both.");
        }

        foreach (var p in parts)
        {
            if (!string.Equals(p, "delete", StringComparison.OrdinalIgnoreCase) && !string.Equals(p, "compact", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Invalid value {value} for configuration {CleanupPolicyKey}: unknown policy {p}.");
            }
        }

        return string.Join(',', parts).ToLowerInvariant();
    }

    private static TimestampType ParseTimestampType(string value) => value switch
    {
        "CreateTime" => TimestampType.CreateTime,
        "LogAppendTime" => TimestampType.LogAppendTime,
        _ => throw new ArgumentException($"Invalid value {value} for configuration {MessageTimestampTypeKey}: expected CreateTime or LogAppendTime."),
    };
}
