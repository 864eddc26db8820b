using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Groups;
using KafkaOperator.Server.Handlers;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Producers;

namespace KafkaOperator.Server;

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
        Groups = new GroupCoordinator(config, config.LogDirs[0]);
    }

    public GroupCoordinator Groups { get; }

    public ConfigManager Configs { get; }

    public TopicManager Topics { get; }

    public ReplicaManager Replicas { get; }

    public BrokerConfig Config { get; }

    public IMetadataStore Metadata { get; }

    public ProducerIdManager ProducerIds { get; }

    /// <summary>What Metadata/DescribeCluster report for this node; port 0 is replaced by the bound port.</summary>
    public Listener AdvertisedListener { get; private set; }

    public CancellationToken Stopping { get; set; }

    public RequestDispatcher CreateDispatcher()
    {
        var apiVersions = new ApiVersionsHandler();
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
        ]);
        apiVersions.Attach(dispatcher);
        return dispatcher;
    }

    public void Start()
    {
        Configs.LoadDynamic();
        Replicas.Start();
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
        Groups.Dispose();
        Replicas.Dispose();
    }
}
