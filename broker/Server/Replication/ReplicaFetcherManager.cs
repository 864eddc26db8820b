using KafkaOperator.Server.Config;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Replication;

/// <summary>
/// The followers' side of replication, as Kafka's ReplicaFetcherManager: for each leader broker,
/// num.replica.fetchers fetchers, each pulling a fixed share of the partitions that broker leads (by partition
/// hash). A partition is added when its replica becomes a follower and removed before it becomes leader.
/// </summary>
public sealed class ReplicaFetcherManager : IAsyncDisposable
{
    private readonly BrokerConfig _config;
    private readonly Func<int, BrokerAddress?> _resolve;
    private readonly Func<long> _brokerEpoch;
    private readonly Dictionary<(int Leader, int Index), ReplicaFetcher> _fetchers = [];
    private readonly Dictionary<Partition, ReplicaFetcher> _assigned = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    public ReplicaFetcherManager(BrokerConfig config, Func<int, BrokerAddress?> resolveBroker, Func<long> brokerEpoch)
    {
        _config = config;
        _resolve = resolveBroker;
        _brokerEpoch = brokerEpoch;
        Quota = ReplicationQuota.Follower(config);
    }

    /// <summary>The follower side's replication throttle, shared by every fetcher of this broker.</summary>
    public ReplicationQuota Quota { get; }

    public void Add(Partition partition, int leaderId, int leaderEpoch)
    {
        ArgumentNullException.ThrowIfNull(partition);
        lock (_lock)
        {
            if (_disposed)
                return;
            AssignLocked(partition, leaderId, _config.GetInt("num.replica.fetchers")).Add(partition, leaderEpoch);
        }
    }

    /// <summary>
    /// <see cref="Add"/> for many partitions at once (the replica manager's full pass at start: 66,000 followers of
    /// 100,000 replicas): each fetcher takes its share under one lock and is woken once, instead of being woken per
    /// partition into rounds that copied and sent its whole growing set each time while the pass went on.
    /// </summary>
    public void AddAll(IReadOnlyList<(Partition Partition, int LeaderId, int LeaderEpoch)> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var shares = new Dictionary<ReplicaFetcher, List<(Partition, int)>>();
        lock (_lock)
        {
            if (_disposed)
                return;
            var fetchers = _config.GetInt("num.replica.fetchers");
            foreach (var (partition, leaderId, leaderEpoch) in partitions)
            {
                var fetcher = AssignLocked(partition, leaderId, fetchers);
                if (!shares.TryGetValue(fetcher, out var share))
                    shares[fetcher] = share = [];
                share.Add((partition, leaderEpoch));
            }
            // Under the manager's lock, as Add does: a Remove that follows cannot be overtaken by this add.
            foreach (var (fetcher, share) in shares)
                fetcher.AddRange(share);
        }
    }

    public void Remove(Partition partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        lock (_lock)
            RemoveLocked(partition);
    }

    /// <summary>
    /// Moves <paramref name="partition"/> to the fetcher that serves it for <paramref name="leaderId"/> (one of
    /// <paramref name="fetchers"/> per leader, chosen by the partition's hash), started on first use; the caller hands
    /// the partition to the returned fetcher.
    /// </summary>
    private ReplicaFetcher AssignLocked(Partition partition, int leaderId, int fetchers)
    {
        RemoveLocked(partition);
        var index = (int)((uint)HashCode.Combine(partition.TopicId, partition.Index) % (uint)Math.Max(1, fetchers));
        if (!_fetchers.TryGetValue((leaderId, index), out var fetcher))
        {
            fetcher = new ReplicaFetcher(_config, leaderId, index, _resolve, _brokerEpoch, Quota);
            _fetchers[(leaderId, index)] = fetcher;
            fetcher.Start();
        }
        _assigned[partition] = fetcher;
        return fetcher;
    }

    private void RemoveLocked(Partition partition)
    {
        if (_assigned.Remove(partition, out var fetcher))
            fetcher.Remove(partition);
    }

    /// <summary>The partitions each fetcher serves, for tests and diagnostics.</summary>
    public int FetcherCount
    {
        get
        {
            lock (_lock)
                return _fetchers.Count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ReplicaFetcher> all;
        lock (_lock)
        {
            _disposed = true;
            all = [.. _fetchers.Values];
            _fetchers.Clear();
            _assigned.Clear();
        }
        foreach (var f in all)
            await f.DisposeAsync().ConfigureAwait(false);
    }
}
