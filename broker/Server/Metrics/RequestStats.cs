using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using KafkaOperator.Protocol;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// Kafka's RequestMetrics: requests per API key and version (an increment on an array indexed by both), and each
/// request's total time, read to response handed to the socket, into a histogram instrument with the request's name
/// as its only tag (one Record per request, nothing allocated).
/// </summary>
public sealed class RequestStats
{
    public const int MaxApiKey = 128;
    public const int MaxVersion = 32;

    private static readonly string[] Names = [.. Enumerable.Range(0, MaxApiKey).Select(k => Enum.IsDefined((ApiKey)k) ? ((ApiKey)k).ToString() : k.ToString(CultureInfo.InvariantCulture))];

    private readonly long[] _requests = new long[MaxApiKey * MaxVersion];

    /// <summary>Where latencies go; set once the broker's metrics exist (null: only counts are kept).</summary>
    public Histogram<double>? TotalTimeMs { get; set; }

    public static string Name(ApiKey key) => (uint)key < MaxApiKey ? Names[(int)key] : key.ToString();

    /// <summary>A request answered (or dropped) <paramref name="elapsedTicks"/> Stopwatch ticks after it was read.</summary>
    public void Record(ApiKey key, short version, long elapsedTicks)
    {
        var k = (int)key;
        if ((uint)k >= MaxApiKey)
            return;
        Interlocked.Increment(ref _requests[(k * MaxVersion) + Math.Clamp((int)version, 0, MaxVersion - 1)]);
        TotalTimeMs?.Record(elapsedTicks * 1000.0 / Stopwatch.Frequency, new KeyValuePair<string, object?>("request", Names[k]));
    }

    /// <summary>Every (key, version) seen so far with its count.</summary>
    public IEnumerable<(ApiKey Key, short Version, long Count)> Counts()
    {
        for (var i = 0; i < _requests.Length; i++)
        {
            var n = Interlocked.Read(ref _requests[i]);
            if (n > 0)
                yield return ((ApiKey)(i / MaxVersion), (short)(i % MaxVersion), n);
        }
    }
}

/// <summary>Kafka's ReplicaManager IsrShrinksPerSec / IsrExpandsPerSec: ISR changes of partitions this broker leads.</summary>
public sealed class ReplicaStats
{
    private long _shrinks;
    private long _expands;

    public long IsrShrinks => Interlocked.Read(ref _shrinks);

    public long IsrExpands => Interlocked.Read(ref _expands);

    /// <summary>The leader applied a committed ISR of <paramref name="after"/> replicas that had <paramref name="before"/>.</summary>
    public void IsrChanged(int before, int after)
    {
        if (after < before)
            Interlocked.Increment(ref _shrinks);
        else if (after > before)
            Interlocked.Increment(ref _expands);
    }
}
