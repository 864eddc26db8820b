using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

/// <summary>
/// Topic, config, offset and cluster administration over the Kafka protocol. Operations that Kafka answers per topic
/// or per resource return one result per item (with its <see cref="KafkaException"/>) instead of failing as a whole;
/// whole-request failures (no broker reachable, timeouts) throw.
/// </summary>
public sealed partial class KafkaAdminClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromSeconds(30);
    private readonly bool _ownsCluster;

    public KafkaAdminClient(KafkaCluster cluster, bool ownsCluster = false)
    {
        Cluster = cluster;
        _ownsCluster = ownsCluster;
    }

    public KafkaCluster Cluster { get; }

    public static async Task<KafkaAdminClient> ConnectAsync(KafkaClientOptions options, CancellationToken cancellationToken = default) =>
        new(await KafkaCluster.ConnectAsync(options, cancellationToken).ConfigureAwait(false), ownsCluster: true);

    /// <summary>Connects to a comma-separated list of host:port bootstrap servers.</summary>
    public static async Task<KafkaAdminClient> ConnectAsync(string bootstrapServers, CancellationToken cancellationToken = default) =>
        new(await KafkaCluster.ConnectAsync(bootstrapServers, cancellationToken).ConfigureAwait(false), ownsCluster: true);

    public async Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(IEnumerable<NewTopic> topics, bool validateOnly = false,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new CreateTopicsRequest
        {
            TimeoutMs = TimeoutMs(timeout),
            ValidateOnly = validateOnly,
        };
        foreach (var topic in topics)
        {
            var creatable = new CreateTopicsRequest.CreatableTopic
            {
                Name = topic.Name,
                NumPartitions = topic.ReplicaAssignment is null ? topic.NumPartitions : -1,
                ReplicationFactor = topic.ReplicaAssignment is null ? topic.ReplicationFactor : (short)-1,
            };
            foreach (var (name, value) in topic.Configs)
            {
                creatable.Configs.Add(new CreateTopicsRequest.CreateableTopicConfig { Name = name, Value = value });
            }

            foreach (var (partition, brokers) in topic.ReplicaAssignment ?? new Dictionary<int, IReadOnlyList<int>>())
            {
                creatable.Assignments.Add(new CreateTopicsRequest.CreatableReplicaAssignment
                {
                    PartitionIndex = partition,
                    BrokerIds = [.. brokers],
                });
            }

            request.Topics.Add(creatable);
        }

        var response = await Cluster.SendToControllerAsync<CreateTopicsRequest, CreateTopicsResponse>(request,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return request.Topics.Select(t => Result(t.Name, response.Topics.FirstOrDefault(r => r.Name == t.Name) is { } r
            ? Error(r.ErrorCode, r.ErrorMessage)
            : Missing(t.Name))).ToList();
    }

    public Task<TopicResult> CreateTopicAsync(string name, int numPartitions = -1, short replicationFactor = -1,
        IDictionary<string, string?>? configs = null, CancellationToken cancellationToken = default) =>
        Single(CreateTopicsAsync([new NewTopic(name, numPartitions, replicationFactor) { Configs = configs ?? new Dictionary<string, string?>() }],
            cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(IEnumerable<string> names, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var list = names.ToList();
        // v6 names topics in Topics (name or id); earlier versions in TopicNames.
        DeleteTopicsRequest Build(short version) => version >= 6
            ? new DeleteTopicsRequest
            {
                TimeoutMs = TimeoutMs(timeout),
                Topics = list.Select(n => new DeleteTopicsRequest.DeleteTopicState { Name = n }).ToList(),
            }
            : new DeleteTopicsRequest { TimeoutMs = TimeoutMs(timeout), TopicNames = [.. list] };
        var response = await Cluster.SendToControllerAsync<DeleteTopicsRequest, DeleteTopicsResponse>(Build,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return list.Select(n => Result(n, response.Responses.FirstOrDefault(r => r.Name == n) is { } r
            ? Error(r.ErrorCode, r.ErrorMessage)
            : Missing(n))).ToList();
    }

    public Task<TopicResult> DeleteTopicAsync(string name, CancellationToken cancellationToken = default) =>
        Single(DeleteTopicsAsync([name], cancellationToken: cancellationToken));

    /// <summary>Raises the partition count of each topic to the given total.</summary>
    public async Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(IReadOnlyDictionary<string, int> totalCounts,
        bool validateOnly = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new CreatePartitionsRequest
        {
            TimeoutMs = TimeoutMs(timeout),
            ValidateOnly = validateOnly,
            Topics = totalCounts.Select(kv => new CreatePartitionsRequest.CreatePartitionsTopic
            {
                Name = kv.Key,
                Count = kv.Value,
                Assignments = null,
            }).ToList(),
        };
        var response = await Cluster.SendToControllerAsync<CreatePartitionsRequest, CreatePartitionsResponse>(request,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return totalCounts.Keys.Select(n => Result(n, response.Results.FirstOrDefault(r => r.Name == n) is { } r
            ? Error(r.ErrorCode, r.ErrorMessage)
            : Missing(n))).ToList();
    }

    /// <summary>
    /// Topic id and partitions with leader, leader epoch, replicas, ISR and offline replicas, as the broker reports
    /// them now; per-topic errors. Asks DescribeTopicPartitions where the broker has it (as Kafka's admin client does
    /// since 3.8), else Metadata.
    /// </summary>
    public async Task<IReadOnlyList<TopicDescription>> DescribeTopicsAsync(IEnumerable<string> names,
        CancellationToken cancellationToken = default)
    {
        var list = names.ToList();
        if (list.Count == 0)
        {
            return [];
        }

        IReadOnlyDictionary<string, TopicDescription> described;
        if (await SupportsDescribeTopicPartitionsAsync(cancellationToken).ConfigureAwait(false))
        {
            described = await DescribeTopicPartitionsAsync([.. list.Distinct(StringComparer.Ordinal)], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var response = await Cluster.FetchMetadataAsync(list, cancellationToken).ConfigureAwait(false);
            described = FromMetadata(response);
        }

        return list.Select(name => described.TryGetValue(name, out var d) ? d : new TopicDescription(name, Guid.Empty, false, [], Missing(name)))
            .ToList();
    }

    /// <summary>Every topic (internal ones when <paramref name="includeInternal"/>) described as by <see cref="DescribeTopicsAsync"/>, in name order.</summary>
    public async Task<IReadOnlyList<TopicDescription>> DescribeAllTopicsAsync(bool includeInternal = false,
        CancellationToken cancellationToken = default)
    {
        var described = await SupportsDescribeTopicPartitionsAsync(cancellationToken).ConfigureAwait(false)
            ? await DescribeTopicPartitionsAsync([], cancellationToken).ConfigureAwait(false)
            : FromMetadata(await Cluster.FetchMetadataAsync(null, cancellationToken).ConfigureAwait(false));
        return described.Values
            .Where(t => includeInternal || !t.IsInternal)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<TopicDescription> DescribeTopicAsync(string name, CancellationToken cancellationToken = default) =>
        (await DescribeTopicsAsync([name], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<TopicListing>> ListTopicsAsync(bool includeInternal = false,
        CancellationToken cancellationToken = default)
    {
        var response = await Cluster.FetchMetadataAsync(null, cancellationToken).ConfigureAwait(false);
        return response.Topics
            .Where(t => t.Name is not null && t.ErrorCode == 0 && (includeInternal || !t.IsInternal))
            .Select(t => new TopicListing(t.Name!, t.TopicId, t.IsInternal, t.Partitions.Count))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<ClusterDescription> DescribeClusterAsync(CancellationToken cancellationToken = default)
    {
        var connection = await Cluster.GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!connection.SupportsApi(ApiKey.DescribeCluster))
        {
            var metadata = await Cluster.RefreshMetadataAsync([], cancellationToken).ConfigureAwait(false);
            return new ClusterDescription(metadata.ClusterId, metadata.ControllerId, metadata.Brokers);
        }

        var response = await Cluster.SendToAnyAsync<DescribeClusterRequest, DescribeClusterResponse>(
            new DescribeClusterRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (Error(response.ErrorCode, response.ErrorMessage) is { } error)
        {
            throw error;
        }

        return new ClusterDescription(response.ClusterId, response.ControllerId,
            response.Brokers.Select(b => new BrokerNode(b.BrokerId, b.Host, b.Port, b.Rack)).OrderBy(b => b.NodeId).ToList());
    }

    internal static int TimeoutMs(TimeSpan? timeout) => (int)Math.Min((timeout ?? DefaultOperationTimeout).TotalMilliseconds, int.MaxValue);

    internal static KafkaException? Error(short code, string? message) =>
        code == 0 ? null : new KafkaException((ErrorCode)code, message);

    private static KafkaException Missing(string name) =>
        new(ErrorCode.UnknownServerError, $"The broker's response has no result for '{name}'.");

    private static TopicResult Result(string name, KafkaException? error) => new(name, error);

    private static async Task<TopicResult> Single(Task<IReadOnlyList<TopicResult>> results) => (await results.ConfigureAwait(false))[0];

    public async ValueTask DisposeAsync()
    {
        if (_ownsCluster)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
