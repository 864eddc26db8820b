using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Replication;

/// <summary>
/// Kafka's replication throttle for one side (leader or follower) of this broker: a token bucket filled at the
/// dynamic broker config <c>leader.replication.throttled.rate</c> / <c>follower.replication.throttled.rate</c>
/// (bytes/s; Long.MaxValue, the default, is no throttle), holding at most one second of it. Only partitions the
/// topic config <c>leader.replication.throttled.replicas</c> / <c>follower.replication.throttled.replicas</c> lists
/// for this broker ("partition:broker,..." or "*") are throttled, and only while the follower is out of the ISR (as
/// Kafka: an in-sync follower is never held back). A throttled partition is left out of a fetch while the bucket is
/// empty; what it moved is taken from the bucket afterwards, so the bucket may go below zero by one fetch and the
/// average over a longer window stays at the rate.
/// </summary>
public sealed class ReplicationQuota
{
    private const double BurstSeconds = 1.0;
    private static readonly ConcurrentDictionary<string, ThrottledReplicas> Parsed = new(StringComparer.Ordinal);

    private readonly BrokerConfig _config;
    private readonly string _rateKey;
    private readonly string _replicasKey;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastTicks = Stopwatch.GetTimestamp();
    private long _recorded;

    private ReplicationQuota(BrokerConfig config, string rateKey, string replicasKey)
    {
        _config = config;
        _rateKey = rateKey;
        _replicasKey = replicasKey;
    }

    public static ReplicationQuota Leader(BrokerConfig config) => new(config, "leader.replication.throttled.rate", "leader.replication.throttled.replicas");

    public static ReplicationQuota Follower(BrokerConfig config) => new(config, "follower.replication.throttled.rate", "follower.replication.throttled.replicas");

    /// <summary>The configured rate in bytes/s; long.MaxValue when unthrottled.</summary>
    public long Rate => _config.GetLong(_rateKey);

    /// <summary>Bytes of throttled partitions taken from the bucket since start (diagnostics and tests).</summary>
    public long RecordedBytes => Interlocked.Read(ref _recorded);

    /// <summary>Whether <paramref name="partition"/> is throttled on this broker for a replica that is (not) in sync.</summary>
    public bool IsThrottled(Partition partition, int brokerId, bool inSync)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (inSync || Rate == long.MaxValue)
            return false;
        if (!partition.Config.Overrides.TryGetValue(_replicasKey, out var value) || string.IsNullOrWhiteSpace(value))
            return false;
        return Parse(value).Contains(partition.Index, brokerId);
    }

    /// <summary>Whether the bucket is empty: throttled partitions wait.</summary>
    public bool IsExceeded()
    {
        lock (_lock)
        {
            Refill();
            return _tokens < 0;
        }
    }

    /// <summary>How long until the bucket holds tokens again (zero when it does).</summary>
    public TimeSpan TimeUntilAvailable()
    {
        lock (_lock)
        {
            Refill();
            var rate = Rate;
            if (_tokens >= 0)
                return TimeSpan.Zero;
            return rate <= 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(Math.Min(1.0, -_tokens / rate));
        }
    }

    /// <summary>Takes <paramref name="bytes"/> moved for throttled partitions from the bucket.</summary>
    public void Record(long bytes)
    {
        if (bytes <= 0)
            return;
        lock (_lock)
        {
            Refill();
            _tokens -= bytes;
        }
        Interlocked.Add(ref _recorded, bytes);
    }

    private void Refill()
    {
        var now = Stopwatch.GetTimestamp();
        var seconds = (double)(now - _lastTicks) / Stopwatch.Frequency;
        _lastTicks = now;
        var rate = (double)Rate;
        _tokens = Math.Min(rate * BurstSeconds, _tokens + (seconds * rate));
    }

    /// <summary>Validates a throttled replicas list as Kafka's ThrottledReplicaListValidator: "*", or "partition:broker" pairs.</summary>
    public static string? ValidateList(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out _) ? null
            : "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
    }

    private static ThrottledReplicas Parse(string value) =>
        Parsed.GetOrAdd(value, v => TryParse(v, out var parsed) ? parsed : ThrottledReplicas.NoneSet);

    private static bool TryParse(string value, out ThrottledReplicas parsed)
    {
        parsed = ThrottledReplicas.NoneSet;
        var trimmed = value.Trim();
        if (trimmed.Length == 0)
            return true;
        if (trimmed == "*")
        {
            parsed = ThrottledReplicas.All;
            return true;
        }
        var set = new HashSet<(int, int)>();
        foreach (var item in trimmed.Split(',', StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var broker))
                return false;
            set.Add((partition, broker));
        }
        parsed = new ThrottledReplicas(false, set);
        return true;
    }

    private sealed record ThrottledReplicas(bool Wildcard, HashSet<(int Partition, int Broker)> Replicas)
    {
        public static readonly ThrottledReplicas NoneSet = new(false, []);
        public static readonly ThrottledReplicas All = new(true, []);

        public bool Contains(int partition, int broker) => Wildcard || Replicas.Contains((partition, broker));
    }
}
