using System.Collections.Concurrent;
using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Replication;

/// <summary>
/// End offsets (high watermarks) of partitions this broker holds no replica of, as their leaders report them: what
/// a group's coordinator needs for the consumer lag of every partition the group committed. A scrape only reads the
/// cache (<see cref="TryGet"/>), which also notes that the partition is wanted; a background loop asks each leader
/// for the wanted partitions it leads in one ListOffsets (latest, READ_UNCOMMITTED: the high watermark, what Kafka
/// Exporter reports) every <see cref="RefreshKey"/> milliseconds, and at once when a scrape wants a partition it has
/// never seen, so a scrape never waits on the network. A value is served for at most three intervals (10 s at least)
/// after its answer (a leader that stops answering makes its partitions' lag disappear rather than freeze); a partition no
/// scrape wanted for <see cref="ForgetAfter"/> is dropped. Exception policy: failures are logged at DEBUG (lag is
/// monitoring, and the leader's own scrape shows its trouble) and the leader is asked again next round.
/// </summary>
public sealed class RemoteEndOffsets : IAsyncDisposable
{
    public const string RefreshKey = "metrics.lag.refresh.ms";

    /// <summary>Longer than any sensible scrape interval, so a Prometheus scraping every minute keeps its partitions.</summary>
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(5);

    private static readonly ApiVersionRange Versions = new(1, 8);

    private readonly BrokerConfig _config;
    private readonly IMetadataStore _store;
    private readonly Func<int, BrokerAddress?> _resolve;
    private readonly long _intervalMs;
    private readonly long _maxAgeMs;
    private readonly ConcurrentDictionary<(string Topic, int Partition), Entry> _entries = new();
    private readonly Dictionary<int, (BrokerAddress Address, KafkaConnection Connection)> _connections = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public RemoteEndOffsets(BrokerConfig config, IMetadataStore store, Func<int, BrokerAddress?> resolveBroker)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _store = store;
        _resolve = resolveBroker;
        _intervalMs = config.GetLong(RefreshKey);
        _maxAgeMs = Math.Max(3 * _intervalMs, 10_000);
    }

    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>
    /// The partition's high watermark as its leader last reported it, if known and fresh; never blocks. Notes the
    /// partition as wanted, and wakes the loop when it is new.
    /// </summary>
    public bool TryGet(string topic, int partition, out long endOffset)
    {
        var now = Environment.TickCount64;
        var entry = _entries.GetOrAdd((topic, partition), static _ => new Entry());
        Volatile.Write(ref entry.WantedAt, now);
        if (Interlocked.Exchange(ref entry.Announced, 1) == 0)
            Wake();
        var (value, at) = entry.Read();
        endOffset = value;
        return value >= 0 && now - at <= _maxAgeMs;
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
                _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(_intervalMs), token).ConfigureAwait(false);
                await RefreshAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task RefreshAsync(CancellationToken token)
    {
        var now = Environment.TickCount64;
        var image = _store.Image;
        var byLeader = new Dictionary<int, List<(string Topic, int Partition)>>();
        foreach (var (key, entry) in _entries)
        {
            if (now - Volatile.Read(ref entry.WantedAt) > ForgetAfter.TotalMilliseconds
                || image.Topic(key.Topic) is not { } topic || key.Partition >= topic.Partitions.Length)
            {
                _entries.TryRemove(key, out _);
                continue;
            }
            var leader = topic.Partitions[key.Partition].Leader;
            if (leader < 0 || leader == _config.NodeId)
                continue; // no leader to ask; or this broker, which answers from its own replica
            if (!byLeader.TryGetValue(leader, out var list))
                byLeader[leader] = list = [];
            list.Add(key);
        }
        await Task.WhenAll(byLeader.Select(kv => AskAsync(kv.Key, kv.Value, token))).ConfigureAwait(false);
        await DropUnusedConnectionsAsync(byLeader.Keys).ConfigureAwait(false);
    }

    /// <summary>One ListOffsets to <paramref name="leader"/> for every wanted partition it leads.</summary>
    private async Task AskAsync(int leader, List<(string Topic, int Partition)> partitions, CancellationToken token)
    {
        try
        {
            var connection = await ConnectAsync(leader, token).ConfigureAwait(false);
            if (connection is null)
                return;
            var request = new ListOffsetsRequest
            {
                ReplicaId = -1, // as a consumer: the high watermark, not the log end a follower would get
                IsolationLevel = 0,
                Topics = [.. partitions.GroupBy(p => p.Topic).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = g.Key,
                    Partitions = [.. g.Select(p => new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = p.Partition, Timestamp = -1 })],
                })],
            };
            var response = await connection.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(request, Versions, token).ConfigureAwait(false);
            var at = Environment.TickCount64;
            foreach (var topic in response.Topics)
            {
                foreach (var p in topic.Partitions)
                {
                    // An error (the leadership moved, the topic went) keeps the old value until it ages out.
                    if (p.ErrorCode == (short)ErrorCode.None && _entries.TryGetValue((topic.Name, p.PartitionIndex), out var entry))
                        entry.Write(p.Offset, at);
                }
            }
        }
        catch (Exception ex) when (!token.IsCancellationRequested
            && ex is KafkaConnectionException or KafkaException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            Log.Debug($"end offsets for consumer lag from broker {leader}: {ex.Message}");
            await DropAsync(leader).ConfigureAwait(false);
        }
    }

    private async Task<KafkaConnection?> ConnectAsync(int broker, CancellationToken token)
    {
        if (_resolve(broker) is not { } address)
            return null;
        lock (_connections)
        {
            if (_connections.TryGetValue(broker, out var open) && open.Address == address && open.Connection.IsConnected)
                return open.Connection;
        }
        await DropAsync(broker).ConfigureAwait(false);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1000, Math.Min(_config.GetInt("request.timeout.ms"), 3 * _intervalMs)));
        var connection = await KafkaConnection.ConnectAsync(address.Host, address.Port, new KafkaConnectionOptions
        {
            ClientId = $"broker-{_config.NodeId}-consumer-lag",
            RequestTimeout = timeout,
            ConnectTimeout = timeout,
        }, token).ConfigureAwait(false);
        lock (_connections)
            _connections[broker] = (address, connection);
        return connection;
    }

    private async Task DropAsync(int broker)
    {
        KafkaConnection? connection = null;
        lock (_connections)
        {
            if (_connections.Remove(broker, out var open))
                connection = open.Connection;
        }
        if (connection is not null)
            await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DropUnusedConnectionsAsync(IEnumerable<int> used)
    {
        List<int> unused;
        lock (_connections)
            unused = [.. _connections.Keys.Except(used)];
        foreach (var broker in unused)
            await DropAsync(broker).ConfigureAwait(false);
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
        List<int> all;
        lock (_connections)
            all = [.. _connections.Keys];
        foreach (var broker in all)
            await DropAsync(broker).ConfigureAwait(false);
        _wake.Dispose();
        _stopping.Dispose();
    }

    /// <summary>A wanted partition: its last answer (offset and when) and when a scrape last asked for it.</summary>
    private sealed class Entry
    {
        public long WantedAt;
        public int Announced;
        private readonly Lock _lock = new();
        private long _offset = -1;
        private long _at;

        public (long Offset, long At) Read()
        {
            lock (_lock)
                return (_offset, _at);
        }

        public void Write(long offset, long at)
        {
            lock (_lock)
            {
                _offset = offset;
                _at = at;
            }
        }
    }
}
