using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Handlers.Groups;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Producers;

namespace KafkaOperator.Server;

/// <summary>A broker as Metadata, DescribeCluster and FindCoordinator report it.</summary>
public sealed record BrokerAddress(int Id, string Host, int Port, string? Rack);

/// <summary>The broker's shared state that handlers use: config, metadata, partitions, producer ids.</summary>
public sealed class BrokerServices : IDisposable
{
    public BrokerServices(BrokerConfig config, IMetadataStore metadata, ProducerIdManager producerIds)
    {
        Config = config;
        Metadata = metadata;
        ProducerIds = producerIds;
        AdvertisedListener = config.AdvertisedListeners[0];
        Topics = new TopicManager(config, metadata);
        Replicas = new ReplicaManager(config, metadata);
        Configs = new ConfigManager(config, metadata);
        Groups = new GroupCoordinatorHost(this);
        LeaderQuota = Replication.ReplicationQuota.Leader(config);
    }

    /// <summary>The leader side's replication throttle (leader.replication.throttled.rate), for followers' fetches.</summary>
    public Replication.ReplicationQuota LeaderQuota { get; }
    /// <summary>Per-topic produce and fetch counts (Kafka's BrokerTopicMetrics), read by the metrics endpoint.</summary>
    public Metrics.TopicStats TopicStats { get; } = new();

    /// <summary>The consumer group coordinator and its __consumer_offsets partitions.</summary>
    public GroupCoordinatorHost Groups { get; }

    public ConfigManager Configs { get; }

    public TopicManager Topics { get; }

    public ReplicaManager Replicas { get; }

    public BrokerConfig Config { get; }

    public IMetadataStore Metadata { get; }

    public ProducerIdManager ProducerIds { get; }

    /// <summary>What Metadata/DescribeCluster report for this node; port 0 is replaced by the bound port.</summary>
    public Listener AdvertisedListener { get; private set; }

    public CancellationToken Stopping { get; set; }

    private QuorumHost? _quorum;

    /// <summary>This node's metadata quorum member (of the configured voters, or of itself alone); set by the host.</summary>
    public QuorumHost Quorum
    {
        get => _quorum ?? throw new InvalidOperationException("the broker's metadata quorum is not set");
        set => _quorum = value;
    }

    /// <summary>
    /// Whether this broker stands in for the active controller: the controller is a controller-only node
    /// (process.roles=controller), no registered broker, so clients cannot reach it through Metadata, and AlterPartition
    /// has no broker address to go to. KRaft brokers then forward controller requests to it; here every registered
    /// broker takes them (ElectLeaders, AlterPartition) and commits their decisions through the metadata quorum, which
    /// forwards proposals to its leader, as the reassignment and topic requests already do from any broker. A decision
    /// taken on an image that moved on meanwhile is refused at apply (partition epochs) and taken again.
    /// </summary>
    public bool StandsInForController(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.ControllerId >= 0 && image.Brokers.ContainsKey(Config.NodeId) && !image.Brokers.ContainsKey(image.ControllerId);
    }

    /// <summary>
    /// Whether this broker takes the active controller's decisions (ElectLeaders, AlterPartition): it leads the
    /// metadata quorum, or it stands in for a controller-only leader (<see cref="StandsInForController"/>).
    /// </summary>
    public bool ActsAsController() => Quorum.Leader.LeaderId == Config.NodeId || StandsInForController(Metadata.Image);

    /// <summary>
    /// The controller id Metadata and DescribeCluster report: the active controller, or this broker when it stands in
    /// for a controller-only one (KRaft brokers report a live broker there too), so that clients send controller
    /// requests to a node they can reach.
    /// </summary>
    public int ClientControllerId(MetadataImage image) => StandsInForController(image) ? Config.NodeId : image.ControllerId;

    /// <summary>
    /// The brokers clients may use, as (id, host, port, rack) on this node's advertised listener name: the
    /// unfenced brokers of the metadata image.
    /// </summary>
    public IReadOnlyList<BrokerAddress> LiveBrokers(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var self = AdvertisedListener;
        var result = new List<BrokerAddress>(image.Brokers.Count);
        foreach (var broker in image.Brokers.Values.OrderBy(b => b.Id))
        {
            if (broker.Fenced)
                continue;
            if (Address(broker, self.Name) is { } address)
                result.Add(address);
        }
        return result;
    }

    /// <summary>Where clients reach broker <paramref name="id"/> on this node's listener name, if it is registered.</summary>
    public BrokerAddress? FindBroker(MetadataImage image, int id)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Brokers.TryGetValue(id, out var broker) ? Address(broker, AdvertisedListener.Name) : null;
    }

    private static BrokerAddress? Address(BrokerInfo broker, string listenerName)
    {
        foreach (var endpoint in broker.Endpoints)
        {
            if (string.Equals(endpoint.Name, listenerName, StringComparison.OrdinalIgnoreCase))
                return new BrokerAddress(broker.Id, endpoint.Host, endpoint.Port, broker.Rack);
        }
        return null;
    }

    public RequestDispatcher CreateDispatcher()
    {
        var apiVersions = new ApiVersionsHandler { KRaftVersion = () => _quorum?.KRaftVersion ?? 0 };
        var dispatcher = new RequestDispatcher(
        [
            apiVersions,
            new MetadataHandler(this),
            new ProduceHandler(this),
            new FetchHandler(this),
            new ListOffsetsHandler(this),
            new CreateTopicsHandler(this),
            new DeleteTopicsHandler(this),
            new DeleteRecordsHandler(this),
            new InitProducerIdHandler(this),
            new OffsetForLeaderEpochHandler(this),
            new DescribeConfigsHandler(this),
            new AlterConfigsHandler(this),
            new CreatePartitionsHandler(this),
            new IncrementalAlterConfigsHandler(this),
            new DescribeClusterHandler(this),
            new DescribeTopicPartitionsHandler(this),
            new DescribeQuorumHandler(this),
            new AddRaftVoterHandler(this),
            new RemoveRaftVoterHandler(this),
            new UpdateRaftVoterHandler(this),
            new AlterPartitionHandler(this),
            new ElectLeadersHandler(this),
            new DescribeLogDirsHandler(this),
            new AlterPartitionReassignmentsHandler(this),
            new ListPartitionReassignmentsHandler(this),
            new FindCoordinatorHandler(this),
            new JoinGroupHandler(this),
            new SyncGroupHandler(this),
            new HeartbeatHandler(this),
            new LeaveGroupHandler(this),
            new OffsetCommitHandler(this),
            new OffsetFetchHandler(this),
            new ListGroupsHandler(this),
            new DescribeGroupsHandler(this),
            new DeleteGroupsHandler(this),
            new OffsetDeleteHandler(this),
        ]);
        apiVersions.Attach(dispatcher);
        return dispatcher;
    }

    /// <summary>Followers' fetchers and leaders' ISR requests; null until <see cref="Start"/>.</summary>
    public Replication.ReplicaFetcherManager? Fetchers { get; private set; }

    public Replication.AlterPartitionSender? IsrChanges { get; private set; }

    private Replication.ReplicaFetcherManager? _fetchersToStop;
    private Replication.AlterPartitionSender? _isrToStop;

    public void Start()
    {
        Configs.LoadDynamic();
        var quorum = Quorum;
        Fetchers = new Replication.ReplicaFetcherManager(Config, id => FindBroker(Metadata.Image, id), () => quorum.BrokerEpoch);
        IsrChanges = new Replication.AlterPartitionSender(Config, Metadata, id => FindBroker(Metadata.Image, id), () => quorum.BrokerEpoch, () => Replicas.Hosted, ClientControllerId);
        Replicas.Fetchers = Fetchers;
        Replicas.IsrChannel = IsrChanges;
        Replicas.BrokerEpoch = () => quorum.BrokerEpoch;
        IsrChanges.Start();
        _fetchersToStop = Fetchers;
        _isrToStop = IsrChanges;
        Replicas.Start();
        Groups.Start();
    }

    /// <summary>Stops fetching and ISR requests (before the logs close).</summary>
    public async Task StopReplicationAsync()
    {
        if (Interlocked.Exchange(ref _fetchersToStop, null) is { } fetchers)
            await fetchers.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _isrToStop, null) is { } isr)
            await isr.DisposeAsync().ConfigureAwait(false);
    }

    public void SetBoundListeners(IReadOnlyList<Listener> bound)
    {
        ArgumentNullException.ThrowIfNull(bound);
        var advertised = Config.AdvertisedListeners[0];
        var boundFirst = bound[0];
        var host = string.IsNullOrEmpty(advertised.Host) || advertised.Host is "0.0.0.0" or "::" ? "127.0.0.1" : advertised.Host;
        var port = advertised.Port == 0 ? boundFirst.Port : advertised.Port;
        foreach (var b in bound)
        {
            if (b.Name == advertised.Name && advertised.Port == 0)
                port = b.Port;
        }
        AdvertisedListener = advertised with { Host = host, Port = port };
    }

    public void Dispose()
    {
        StopReplicationAsync().GetAwaiter().GetResult();
        Groups.Dispose();
        Replicas.Dispose();
    }
}
