using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Replication;

/// <summary>
/// One fetcher: a loop that sends Fetch requests, as a replica (ReplicaId / ReplicaState with this broker's epoch),
/// to one leader broker for the partitions it follows there, appends what comes back as follower, and truncates
/// where the leader reports a divergence (Fetch v12+ DivergingEpoch, KIP-320), never by HW alone. The leader holds
/// the request up to replica.fetch.wait.max.ms until there is something new.
/// Exception policy: connection failures and errors back off replica.fetch.backoff.ms and retry; a partition's error
/// (the leader moved, an epoch changed) leaves it to the next metadata update, which re-adds or removes it.
/// </summary>
internal sealed class ReplicaFetcher : IAsyncDisposable
{
    private static readonly ApiVersionRange FetchVersions = new(12, 16);

    private readonly BrokerConfig _config;
    private readonly int _leaderId;
    private readonly string _name;
    private readonly Func<int, BrokerAddress?> _resolve;
    private readonly Func<long> _brokerEpoch;
    private readonly ReplicationQuota? _quota;
    private readonly Dictionary<Partition, int> _partitions = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _changed = new(0, 1);
    private Task? _loop;
    private KafkaConnection? _connection;

    public ReplicaFetcher(BrokerConfig config, int leaderId, int index, Func<int, BrokerAddress?> resolve, Func<long> brokerEpoch, ReplicationQuota? quota = null)
    {
        _quota = quota;
        _config = config;
        _leaderId = leaderId;
        Index = index;
        _name = $"{leaderId}/{index}";
        _resolve = resolve;
        _brokerEpoch = brokerEpoch;
    }

    public int Index { get; }

    public void Start() => _loop = Task.Run(RunAsync);

    public void Add(Partition partition, int leaderEpoch)
    {
        lock (_lock)
            _partitions[partition] = leaderEpoch;
        Wake();
    }

    public void AddRange(IEnumerable<(Partition Partition, int LeaderEpoch)> partitions)
    {
        lock (_lock)
        {
            foreach (var (partition, leaderEpoch) in partitions)
                _partitions[partition] = leaderEpoch;
        }
        Wake();
    }

    public void Remove(Partition partition)
    {
        lock (_lock)
            _partitions.Remove(partition);
    }

    private void Wake()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        var backoff = TimeSpan.FromMilliseconds(_config.GetInt("replica.fetch.backoff.ms"));
        while (!token.IsCancellationRequested)
        {
            KeyValuePair<Partition, int>[] work;
            lock (_lock)
                work = [.. _partitions];
            try
            {
                if (work.Length == 0)
                {
                    await _changed.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }
                var throttled = Throttled(work);
                if (throttled is not null && _quota!.IsExceeded())
                {
                    // The throttled partitions sit this round out; with nothing else to fetch, wait for the bucket.
                    work = [.. work.Where(w => !throttled.Contains(w.Key))];
                    throttled = null;
                    if (work.Length == 0)
                    {
                        await _changed.WaitAsync(_quota.TimeUntilAvailable(), token).ConfigureAwait(false);
                        continue;
                    }
                }
                var connection = await ConnectAsync(token).ConfigureAwait(false);
                if (connection is null)
                {
                    await _changed.WaitAsync(backoff, token).ConfigureAwait(false);
                    continue;
                }
                var failed = await FetchOnceAsync(connection, work, throttled, token).ConfigureAwait(false);
                if (failed)
                    await _changed.WaitAsync(backoff, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // Expected failures (the leader went away, a timeout) at INFO; anything else is a bug worth a WARN,
                // but the fetcher must keep running either way or its partitions stop replicating.
                if (ex is KafkaConnectionException or TimeoutException or IOException or KafkaException or OperationCanceledException)
                    Log.Info($"replica fetcher {_leaderId}/{Index}: {ex.Message}; retrying in {backoff.TotalMilliseconds:0} ms");
                else
                    Log.Warn($"replica fetcher {_leaderId}/{Index}: {ex.GetType().Name}: {ex.Message}; retrying in {backoff.TotalMilliseconds:0} ms");
                await DropConnectionAsync().ConfigureAwait(false);
                try
                {
                    await Task.Delay(backoff, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The partitions of <paramref name="work"/> the follower throttle applies to now, or null when none.</summary>
    private HashSet<Partition>? Throttled(KeyValuePair<Partition, int>[] work)
    {
        if (_quota is null || _quota.Rate == long.MaxValue)
            return null;
        HashSet<Partition>? result = null;
        foreach (var (partition, _) in work)
        {
            var inSync = Array.IndexOf(partition.Role.Isr, _config.NodeId) >= 0;
            if (_quota.IsThrottled(partition, _config.NodeId, inSync))
                (result ??= []).Add(partition);
        }
        return result;
    }

    private async Task<KafkaConnection?> ConnectAsync(CancellationToken token)
    {
        if (_connection is { IsConnected: true } open)
            return open;
        await DropConnectionAsync().ConfigureAwait(false);
        if (_resolve(_leaderId) is not { } address)
            return null;
        var timeout = TimeSpan.FromMilliseconds(_config.GetInt("replica.socket.timeout.ms") + _config.GetInt("replica.fetch.wait.max.ms"));
        _connection = await KafkaConnection.ConnectAsync(address.Host, address.Port, new KafkaConnectionOptions
        {
            ClientId = $"broker-{_config.NodeId}-fetcher-{Index}",
            RequestTimeout = timeout,
            ConnectTimeout = TimeSpan.FromMilliseconds(_config.GetInt("replica.socket.timeout.ms")),
            CompleteOnReadLoop = true,
        }, token).ConfigureAwait(false);
        return _connection;
    }

    private async Task DropConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
            await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>One Fetch round; true when it failed as a whole or every partition erred (back off before the next).</summary>
    private async Task<bool> FetchOnceAsync(KafkaConnection connection, KeyValuePair<Partition, int>[] work, HashSet<Partition>? throttled, CancellationToken token)
    {
        var replicaId = _config.NodeId;
        var brokerEpoch = _brokerEpoch();
        // The records are appended (copied into the log) below and nothing keeps them: the frame goes back to the
        // pool after this round instead of being a new megabyte array for the GC each time.
        using var lease = await connection.SendLeasedAsync<FetchRequest, FetchResponse>(version => Build(version, work, replicaId, brokerEpoch), FetchVersions, token)
            .ConfigureAwait(false);
        var response = lease.Response;
        if (response.ErrorCode != 0)
        {
            Log.Info($"replica fetcher {_leaderId}/{Index}: fetch failed with {(ErrorCode)response.ErrorCode}");
            return true;
        }
        if (MayBlock(response))
            await Task.Yield(); // no synchronization context here: continues on a thread-pool worker
        var byId = work.ToDictionary(w => (w.Key.TopicId, w.Key.Index));
        var byName = work.ToDictionary(w => (w.Key.Topic, w.Key.Index));
        var errors = 0;
        var total = 0;
        foreach (var topic in response.Responses)
        {
            foreach (var data in topic.Partitions)
            {
                total++;
                KeyValuePair<Partition, int> entry;
                if (!(topic.TopicId != Guid.Empty ? byId.TryGetValue((topic.TopicId, data.PartitionIndex), out entry) : byName.TryGetValue((topic.Topic, data.PartitionIndex), out entry)))
                    continue;
                if (throttled is not null && throttled.Contains(entry.Key) && data.Records is MemoryRecordSet records)
                    _quota!.Record(FollowerFetchApply.WholeBatches(records.Bytes).Length); // a cut-off last batch is fetched again
                if (!FollowerFetchApply.Handle(entry.Key, entry.Value, data, _name))
                    errors++;
            }
        }
        return total > 0 && errors == total;
    }

    /// <summary>
    /// The answer is applied where it was read: on the connection's read loop, which with inline socket completions
    /// is a socket I/O thread (see IoThreads). Appends to the page cache are as quick as a produce's there; an fsync
    /// on append (flush.messages) or a truncation is not, and moves to the thread pool so other connections' I/O
    /// does not wait for it.
    /// </summary>
    private static bool MayBlock(FetchResponse response)
    {
        if (Thread.CurrentThread.IsThreadPoolThread)
            return false;
        if (Partition.AnyFlushesOnAppend)
            return true;
        foreach (var topic in response.Responses)
        {
            foreach (var data in topic.Partitions)
            {
                if (data.ErrorCode == (short)ErrorCode.OffsetOutOfRange || data.DivergingEpoch is { Epoch: >= 0 })
                    return true;
            }
        }
        return false;
    }

    private FetchRequest Build(short version, KeyValuePair<Partition, int>[] work, int replicaId, long brokerEpoch)
    {
        var request = new FetchRequest
        {
            ReplicaId = version < 15 ? replicaId : -1,
            ReplicaState = version >= 15 ? new FetchRequest.ReplicaStateData { ReplicaId = replicaId, ReplicaEpoch = brokerEpoch } : new(),
            MaxWaitMs = _config.GetInt("replica.fetch.wait.max.ms"),
            MinBytes = _config.GetInt("replica.fetch.min.bytes"),
            MaxBytes = _config.GetInt("replica.fetch.response.max.bytes"),
            IsolationLevel = 0,
            SessionId = 0,
            SessionEpoch = -1,
        };
        var maxBytes = _config.GetInt("replica.fetch.max.bytes");
        foreach (var group in work.GroupBy(w => w.Key.TopicId))
        {
            var first = group.First().Key;
            var topic = new FetchRequest.FetchTopic { Topic = version < 13 ? first.Topic : "", TopicId = version >= 13 ? first.TopicId : Guid.Empty };
            foreach (var (partition, leaderEpoch) in group)
            {
                var log = partition.Log;
                topic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = partition.Index,
                    CurrentLeaderEpoch = leaderEpoch,
                    FetchOffset = log.LogEndOffset,
                    LastFetchedEpoch = log.EpochCache.LatestEpoch,
                    LogStartOffset = log.LogStartOffset,
                    PartitionMaxBytes = maxBytes,
                });
            }
            request.Topics.Add(topic);
        }
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
        await DropConnectionAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _changed.Dispose();
    }
}
