using System.Collections.Concurrent;

namespace KafkaOperator.Server.Metrics;

/// <summary>
/// Kafka's BrokerTopicMetrics as plain counters: the produce and fetch handlers add to them once per partition of a
/// request (never per record), and the scrape reads them. Interlocked adds on fields cost a few nanoseconds, less
/// than any instrument's Add with a tag, so the exporter never sits on the produce path (see README, Benchmarks).
/// </summary>
public sealed class TopicStats
{
    private readonly ConcurrentDictionary<string, TopicCounters> _topics = new(StringComparer.Ordinal);

    /// <summary>What deleted topics had counted: the all-topics totals never go back.</summary>
    private readonly TopicCounters _retired = new();

    public TopicCounters For(string topic) => _topics.TryGetValue(topic, out var c) ? c : _topics.GetOrAdd(topic, static _ => new TopicCounters());

    public IEnumerable<KeyValuePair<string, TopicCounters>> Topics => _topics;

    /// <summary>Sum over every topic, deleted ones included.</summary>
    public TopicCounters Total()
    {
        var total = new TopicCounters();
        total.Add(_retired);
        foreach (var c in _topics.Values)
            total.Add(c);
        return total;
    }

    /// <summary>Drops topics the metadata no longer has (their series end), keeping their counts in the totals.</summary>
    public void Retain(Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(exists);
        foreach (var name in _topics.Keys)
        {
            if (!exists(name) && _topics.TryRemove(name, out var gone))
                _retired.Add(gone);
        }
    }
}

/// <summary>One topic's counts since this broker started.</summary>
public sealed class TopicCounters
{
    private long _messagesIn;
    private long _bytesIn;
    private long _bytesOut;
    private long _failedProduce;
    private long _failedFetch;
    private long _totalProduce;
    private long _totalFetch;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long FailedProduceRequests => Interlocked.Read(ref _failedProduce);

    public long FailedFetchRequests => Interlocked.Read(ref _failedFetch);

    public long TotalProduceRequests => Interlocked.Read(ref _totalProduce);

    public long TotalFetchRequests => Interlocked.Read(ref _totalFetch);

    /// <summary>A partition's append in a produce request: its batches' records and bytes.</summary>
    public void Produced(long messages, long bytes)
    {
        Interlocked.Increment(ref _totalProduce);
        Interlocked.Add(ref _messagesIn, messages);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void ProduceFailed()
    {
        Interlocked.Increment(ref _totalProduce);
        Interlocked.Increment(ref _failedProduce);
    }

    /// <summary>A partition in a consumer's fetch response (followers' fetches are replication, not BytesOut).</summary>
    public void Fetched(long bytes)
    {
        Interlocked.Increment(ref _totalFetch);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void FetchFailed()
    {
        Interlocked.Increment(ref _totalFetch);
        Interlocked.Increment(ref _failedFetch);
    }

    internal void Add(TopicCounters other)
    {
        _messagesIn += other.MessagesIn;
        _bytesIn += other.BytesIn;
        _bytesOut += other.BytesOut;
        _failedProduce += other.FailedProduceRequests;
        _failedFetch += other.FailedFetchRequests;
        _totalProduce += other.TotalProduceRequests;
        _totalFetch += other.TotalFetchRequests;
    }
}
