using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Network;

/// <summary>
/// The client's view of a cluster: one lazily opened connection per broker, the last metadata snapshot, and request
/// routing (any broker, the controller, a partition's leader) with retries on errors that a metadata refresh can
/// fix. Thread-safe; share one instance per process and dispose it to close every connection.
/// </summary>
public sealed class KafkaCluster : IAsyncDisposable
{
    private static readonly ApiVersionRange MetadataVersions = new(1, 12);

    private readonly Dictionary<string, Task<KafkaConnection>> _connections = [];
    private readonly Lock _connectionsLock = new();
    private readonly SemaphoreSlim _metadataLock = new(1, 1);
    private ClusterMetadata _metadata = ClusterMetadata.Empty;
    private bool _disposed;

    private KafkaCluster(KafkaClientOptions options)
    {
        if (options.BootstrapServers.Count == 0)
        {
            throw new ArgumentException("At least one bootstrap server (host:port) is required.", nameof(options));
        }

        Options = options;
        ConnectionOptions = options.ToConnectionOptions();
    }

    public KafkaClientOptions Options { get; }

    internal KafkaConnectionOptions ConnectionOptions { get; }

    /// <summary>The last metadata snapshot (brokers, controller, topics fetched so far).</summary>
    public ClusterMetadata Metadata => Volatile.Read(ref _metadata);

    /// <summary>Connects to the first reachable bootstrap server and loads the broker list.</summary>
    public static async Task<KafkaCluster> ConnectAsync(KafkaClientOptions options, CancellationToken cancellationToken = default)
    {
        var cluster = new KafkaCluster(options);
        try
        {
            await cluster.RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static Task<KafkaCluster> ConnectAsync(string bootstrapServers, CancellationToken cancellationToken = default) =>
        ConnectAsync(KafkaClientOptions.For(bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            cancellationToken);

    /// <summary>
    /// Fetches metadata. <paramref name="topics"/> null means every topic (the snapshot's topic list is replaced);
    /// empty means brokers only; otherwise the named topics are merged into the snapshot (and removed from it when
    /// the broker says they do not exist).
    /// </summary>
    public async Task<ClusterMetadata> RefreshMetadataAsync(IReadOnlyCollection<string>? topics = null,
        CancellationToken cancellationToken = default)
    {
        var request = new MetadataRequest
        {
            AllowAutoTopicCreation = false,
            Topics = topics?.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t }).ToList(),
        };
        var response = await SendToAnyAsync<MetadataRequest, MetadataResponse>(request, MetadataVersions, cancellationToken)
            .ConfigureAwait(false);

        await _metadataLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var merged = topics is null
                ? new Dictionary<string, TopicMetadata>(StringComparer.Ordinal)
                : new Dictionary<string, TopicMetadata>(_metadata.Topics, StringComparer.Ordinal);
            foreach (var topic in response.Topics)
            {
                if (topic.Name is null)
                {
                    continue;
                }

                if ((ErrorCode)topic.ErrorCode == ErrorCode.UnknownTopicOrPartition)
                {
                    merged.Remove(topic.Name);
                    continue;
                }

                merged[topic.Name] = ToTopicMetadata(topic);
            }

            var brokers = response.Brokers.Select(b => new BrokerNode(b.NodeId, b.Host, b.Port, b.Rack))
                .OrderBy(b => b.NodeId).ToList();
            var snapshot = new ClusterMetadata(response.ClusterId, response.ControllerId, brokers, merged);
            Volatile.Write(ref _metadata, snapshot);
            return snapshot;
        }
        finally
        {
            _metadataLock.Release();
        }
    }

    /// <summary>Metadata of one topic as the broker reports it now, including its error (UnknownTopicOrPartition...).</summary>
    public async Task<MetadataResponse> FetchMetadataAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken = default)
    {
        var request = new MetadataRequest
        {
            AllowAutoTopicCreation = false,
            Topics = topics?.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t }).ToList(),
        };
        return await SendToAnyAsync<MetadataRequest, MetadataResponse>(request, MetadataVersions, cancellationToken)
            .ConfigureAwait(false);
    }

    internal static TopicMetadata ToTopicMetadata(MetadataResponse.MetadataResponseTopic topic) => new(
        topic.Name ?? "", topic.TopicId, topic.IsInternal, (ErrorCode)topic.ErrorCode,
        topic.Partitions.OrderBy(p => p.PartitionIndex).Select(p => new PartitionMetadata(p.PartitionIndex, p.LeaderId,
            p.LeaderEpoch, p.ReplicaNodes, p.IsrNodes, p.OfflineReplicas, (ErrorCode)p.ErrorCode)).ToList());

    /// <summary>The topic's metadata from the snapshot, fetching it when missing or when <paramref name="refresh"/> is set.</summary>
    public async Task<TopicMetadata> GetTopicAsync(string topic, bool refresh = false, CancellationToken cancellationToken = default)
    {
        if (!refresh && Metadata.Topics.TryGetValue(topic, out var known))
        {
            return known;
        }

        var snapshot = await RefreshMetadataAsync([topic], cancellationToken).ConfigureAwait(false);
        return snapshot.Topics.TryGetValue(topic, out var fetched)
            ? fetched
            : throw new KafkaException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' does not exist.");
    }

    /// <summary>
    /// A connection to broker <paramref name="nodeId"/>, opened on first use and reopened after a failure. A broker
    /// the snapshot does not list (its broker list came from a broker that had not yet seen it come back) is looked
    /// up once more before giving up.
    /// </summary>
    public async Task<KafkaConnection> GetConnectionAsync(int nodeId, CancellationToken cancellationToken = default)
    {
        var node = Metadata.Broker(nodeId);
        if (node is null)
        {
            await RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
            node = Metadata.Broker(nodeId)
                ?? throw new KafkaException(ErrorCode.BrokerNotAvailable, $"Broker {nodeId} is not in the cluster metadata.");
        }
        return await GetConnectionAsync(node.Host, node.Port, nodeId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A connection to node <paramref name="nodeId"/> at an address learnt outside Metadata (a controller-only node's
    /// CONTROLLER listener, which DescribeQuorum names); pooled and closed with the others.
    /// </summary>
    public Task<KafkaConnection> GetNodeConnectionAsync(int nodeId, string host, int port, CancellationToken cancellationToken = default) =>
        GetConnectionAsync(host, port, nodeId, cancellationToken);

    /// <summary>A connection to any broker: an open one if there is one, else the known brokers, else the bootstrap list.</summary>
    public async Task<KafkaConnection> GetAnyConnectionAsync(CancellationToken cancellationToken = default)
    {
        lock (_connectionsLock)
        {
            foreach (var task in _connections.Values)
            {
                if (task.IsCompletedSuccessfully && task.Result.IsConnected)
                {
                    return task.Result;
                }
            }
        }

        var candidates = Metadata.Brokers.Select(b => (b.Host, b.Port, b.NodeId))
            .Concat(Options.BootstrapServers.Select(ParseEndpoint))
            .ToList();
        Exception? last = null;
        foreach (var (host, port, nodeId) in candidates)
        {
            try
            {
                return await GetConnectionAsync(host, port, nodeId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaConnectionException or TimeoutException)
            {
                last = ex;
            }
        }

        throw new KafkaConnectionException(
            $"No broker reachable (tried {string.Join(", ", candidates.Select(c => $"{c.Host}:{c.Port}"))}): {last?.Message}", last);
    }

    /// <summary>A connection to the controller the metadata names (any broker forwards admin requests in KRaft).</summary>
    public async Task<KafkaConnection> GetControllerConnectionAsync(CancellationToken cancellationToken = default)
    {
        var metadata = Metadata;
        if (metadata.ControllerId < 0 || metadata.Broker(metadata.ControllerId) is null)
        {
            metadata = await RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
        }

        return metadata.ControllerId >= 0 && metadata.Broker(metadata.ControllerId) is not null
            ? await GetConnectionAsync(metadata.ControllerId, cancellationToken).ConfigureAwait(false)
            : await GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A connection to the leader of a partition; throws a retriable KafkaException when there is none.</summary>
    public async Task<KafkaConnection> GetLeaderConnectionAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        var leader = await GetLeaderAsync(topic, partition, cancellationToken).ConfigureAwait(false);
        return await GetConnectionAsync(leader, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> GetLeaderAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        var metadata = await GetTopicAsync(topic, cancellationToken: cancellationToken).ConfigureAwait(false);
        var p = metadata.Partition(partition)
            ?? throw new KafkaException(ErrorCode.UnknownTopicOrPartition, $"Partition {topic}-{partition} does not exist.");
        return p.LeaderId >= 0
            ? p.LeaderId
            : throw new KafkaException(ErrorCode.LeaderNotAvailable, $"Partition {topic}-{partition} has no leader.");
    }

    public Task<TResponse> SendToAnyAsync<TRequest, TResponse>(TRequest request, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
        => ExecuteAsync(async ct =>
        {
            var connection = await GetAnyConnectionAsync(ct).ConfigureAwait(false);
            return await connection.SendAsync<TRequest, TResponse>(request, versions, ct).ConfigureAwait(false);
        }, refreshTopics: null, cancellationToken);

    /// <summary>Like <see cref="SendToAnyAsync{TRequest, TResponse}(TRequest, ApiVersionRange?, CancellationToken)"/>, building the request for the negotiated version.</summary>
    public Task<TResponse> SendToAnyAsync<TRequest, TResponse>(Func<short, TRequest> build, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
        => ExecuteAsync(async ct =>
        {
            var connection = await GetAnyConnectionAsync(ct).ConfigureAwait(false);
            return await connection.SendAsync<TRequest, TResponse>(build, versions, ct).ConfigureAwait(false);
        }, refreshTopics: null, cancellationToken);

    public Task<TResponse> SendToControllerAsync<TRequest, TResponse>(Func<short, TRequest> build, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
        => ExecuteAsync(async ct =>
        {
            var connection = await GetControllerConnectionAsync(ct).ConfigureAwait(false);
            return await connection.SendAsync<TRequest, TResponse>(build, versions, ct).ConfigureAwait(false);
        }, refreshTopics: [], cancellationToken);

    public Task<TResponse> SendToControllerAsync<TRequest, TResponse>(TRequest request, ApiVersionRange? versions = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
        => ExecuteAsync(async ct =>
        {
            var connection = await GetControllerConnectionAsync(ct).ConfigureAwait(false);
            return await connection.SendAsync<TRequest, TResponse>(request, versions, ct).ConfigureAwait(false);
        }, refreshTopics: [], cancellationToken);

    /// <summary>
    /// Runs <paramref name="attempt"/> and retries it (with exponential backoff, up to
    /// <see cref="KafkaClientOptions.MaxRetries"/> times) when it throws a retriable <see cref="KafkaException"/> or
    /// a <see cref="KafkaConnectionException"/>. Before a retry the metadata of <paramref name="refreshTopics"/> is
    /// refreshed (null: no refresh; empty: brokers and controller only).
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> attempt, IReadOnlyCollection<string>? refreshTopics,
        CancellationToken cancellationToken = default)
    {
        for (var retry = 0; ; retry++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (retry < Options.MaxRetries && IsRetriable(ex))
            {
                await Task.Delay(Backoff(retry), cancellationToken).ConfigureAwait(false);
                if (refreshTopics is not null)
                {
                    try
                    {
                        await RefreshMetadataAsync(refreshTopics, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception refreshError) when (IsRetriable(refreshError))
                    {
                        // The next attempt fails the same way or the broker came back; the retry budget decides.
                    }
                }
            }
        }
    }

    internal static bool IsRetriable(Exception ex) =>
        ex is KafkaConnectionException || (ex is KafkaException k && k.IsRetriable);

    internal TimeSpan Backoff(int retry)
    {
        var ms = Options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 16));
        ms = Math.Min(ms, Options.MaxRetryBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private Task<KafkaConnection> GetConnectionAsync(string host, int port, int nodeId, CancellationToken cancellationToken)
    {
        var key = $"{host}:{port}";
        Task<KafkaConnection> task;
        lock (_connectionsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connections.TryGetValue(key, out var existing)
                && !(existing.IsFaulted || existing.IsCanceled || (existing.IsCompletedSuccessfully && !existing.Result.IsConnected)))
            {
                task = existing;
            }
            else
            {
                if (existing is { IsCompletedSuccessfully: true })
                {
                    _ = existing.Result.DisposeAsync().AsTask();
                }

                // Not tied to the caller's token: other callers share this connection attempt.
                task = OpenAsync(host, port, nodeId);
                _connections[key] = task;
            }
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<KafkaConnection> OpenAsync(string host, int port, int nodeId)
    {
        var factory = Options.ConnectionFactory;
        KafkaConnection connection;
        try
        {
            connection = factory is null
                ? await KafkaConnection.ConnectAsync(host, port, ConnectionOptions).ConfigureAwait(false)
                : await factory(host, port, ConnectionOptions, CancellationToken.None).ConfigureAwait(false);
        }
        catch (KafkaConnectionException ex) when (nodeId >= 0)
        {
            // Callers (and users) need to know which broker is down, not only that "the cluster" is.
            throw new KafkaConnectionException($"broker {nodeId} at {host}:{port}: {ex.Message}", ex)
            {
                NodeId = nodeId,
                Endpoint = $"{host}:{port}",
            };
        }

        if (nodeId >= 0)
        {
            connection.BrokerId = nodeId;
        }

        return connection;
    }

    private static (string Host, int Port, int NodeId) ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            throw new ArgumentException($"Bootstrap server '{endpoint}' is not host:port.");
        }

        return (endpoint[..colon].Trim('[', ']'), port, -1);
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<KafkaConnection>> connections;
        lock (_connectionsLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connections = [.. _connections.Values];
            _connections.Clear();
        }

        foreach (var task in connections)
        {
            try
            {
                var connection = await task.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaConnectionException or KafkaException or TimeoutException)
            {
                // A connection that never opened has nothing to close.
            }
        }

        _metadataLock.Dispose();
    }
}
