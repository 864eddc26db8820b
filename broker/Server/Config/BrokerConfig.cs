using System.Globalization;
using KafkaOperator.Server.Policies;

namespace KafkaOperator.Server.Config;

/// <summary>
/// The broker's configuration: static values (server.properties plus command-line overrides) validated against
/// <see cref="BrokerConfigDefs"/>, and dynamic values set by AlterConfigs (per broker and cluster-wide default).
/// Every value is resolved by Kafka's precedence: dynamic broker, dynamic default, static, default.
/// Dynamic maps are replaced copy-on-write so readers never lock.
/// </summary>
public sealed class BrokerConfig
{
    private const long MsPerMinute = 60_000;
    private const long MsPerHour = 3_600_000;

    private readonly Dictionary<string, string> _static;
    private volatile Dictionary<string, string> _dynamicBroker = new(StringComparer.Ordinal);
    private volatile Dictionary<string, string> _dynamicDefault = new(StringComparer.Ordinal);

    private BrokerConfig(Dictionary<string, string> staticProps, List<string> unknown)
    {
        _static = staticProps;
        UnknownKeys = unknown;
        NodeId = ParseInt(Static("node.id") ?? Static("broker.id") ?? "0");
        if (NodeId < 0)
            NodeId = 0;
        Listeners = Listener.ParseList("listeners", Resolve("listeners").Value);
        if (Listeners.Count == 0)
            throw new ConfigException("Invalid value for configuration listeners: at least one listener is required");
        var controllerNames = ConfigKey.SplitList(Static("controller.listener.names"));
        ControllerListener = Listeners.FirstOrDefault(l => controllerNames.Contains(l.Name, StringComparer.OrdinalIgnoreCase));
        ClientListeners = [.. Listeners.Where(l => !controllerNames.Contains(l.Name, StringComparer.OrdinalIgnoreCase))];
        if (ClientListeners.Count == 0)
            throw new ConfigException("Invalid value for configuration listeners: every listener is a controller listener (controller.listener.names); clients need one more");
        var advertised = Static("advertised.listeners");
        AdvertisedListeners = advertised is null ? ClientListeners : Listener.ParseList("advertised.listeners", advertised);
        var dirs = Static("log.dirs") ?? Resolve("log.dir").Value ?? "/tmp/kafka-logs";
        LogDirs = ConfigKey.SplitList(dirs);
        if (LogDirs.Count == 0)
            throw new ConfigException("Invalid value for configuration log.dirs: at least one directory is required");
        Policies = BrokerPolicies.Load(this);
    }

    public IReadOnlyList<string> UnknownKeys { get; }
    public IReadOnlyDictionary<string, string> StaticValues => _static;
    public IReadOnlyDictionary<string, string> DynamicBrokerValues => _dynamicBroker;
    public IReadOnlyDictionary<string, string> DynamicDefaultValues => _dynamicDefault;

    public int NodeId { get; }
    public IReadOnlyList<Listener> Listeners { get; }
    public IReadOnlyList<Listener> AdvertisedListeners { get; }

    /// <summary>The listeners clients use: all but the controller listeners, which the metadata quorum binds itself.</summary>
    public IReadOnlyList<Listener> ClientListeners { get; }

    /// <summary>The first listener named in controller.listener.names: where this node's quorum member listens.</summary>
    public Listener? ControllerListener { get; }

    public int QuorumElectionTimeoutMs => GetInt("controller.quorum.election.timeout.ms");
    public int QuorumFetchTimeoutMs => GetInt("controller.quorum.fetch.timeout.ms");
    public int QuorumRequestTimeoutMs => GetInt("controller.quorum.request.timeout.ms");
    public int BrokerSessionTimeoutMs => GetInt("broker.session.timeout.ms");
    public int BrokerHeartbeatIntervalMs => GetInt("broker.heartbeat.interval.ms");
    public IReadOnlyList<string> LogDirs { get; }

    /// <summary>The create-topic and alter-config policies the static config names (none by default).</summary>
    public BrokerPolicies Policies { get; }

    /// <summary>broker.rack, reported in Metadata and used for rack-aware placement; null when unset.</summary>
    public string? Rack => Static("broker.rack") is { Length: > 0 } rack ? rack : null;

    /// <summary>controller.quorum.voters as written (id@host:port,...); empty for a single-node cluster.</summary>
    public string QuorumVoters => Static("controller.quorum.voters") ?? "";

    /// <summary>controller.quorum.bootstrap.servers (host:port,...): where a broker-only node finds the quorum without the voter list.</summary>
    public string QuorumBootstrapServers => Static("controller.quorum.bootstrap.servers") ?? "";

    /// <summary>process.roles as written, trimmed (broker,controller by default).</summary>
    public IReadOnlyList<string> ProcessRoles => ConfigKey.SplitList(Static("process.roles") ?? "broker,controller");

    /// <summary>Whether this node registers as a broker and hosts partitions (process.roles contains broker).</summary>
    public bool IsBrokerRole => ProcessRoles.Contains("broker", StringComparer.Ordinal);

    /// <summary>Whether this node is a quorum voter and may be the active controller (process.roles contains controller).</summary>
    public bool IsControllerRole => ProcessRoles.Contains("controller", StringComparer.Ordinal);

    /// <summary>
    /// cluster.id: the id every member of a multi-broker cluster shares (Kafka takes it from `kafka-storage
    /// format`). Unset, a single node generates one and a quorum member derives it from the voter list.
    /// </summary>
    public string? ConfiguredClusterId => Static("cluster.id") is { Length: > 0 } id ? id : null;

    public int NumPartitions => GetInt("num.partitions");
    public short DefaultReplicationFactor => (short)GetInt("default.replication.factor");
    public bool AutoCreateTopicsEnable => GetBool("auto.create.topics.enable");
    public bool DeleteTopicEnable => GetBool("delete.topic.enable");
    public int SocketRequestMaxBytes => GetInt("socket.request.max.bytes");
    public int MessageMaxBytes => GetInt("message.max.bytes");
    public int MinInsyncReplicas => GetInt("min.insync.replicas");
    public long LogRetentionCheckIntervalMs => GetLong("log.retention.check.interval.ms");
    public int OffsetsTopicNumPartitions => GetInt("offsets.topic.num.partitions");
    public int FetchMaxBytes => GetInt("fetch.max.bytes");

    /// <summary>metrics.port: where /metrics is served; -1 when the endpoint is off, 0 for an ephemeral port.</summary>
    public int MetricsPort => GetInt(Metrics.MetricsEndpoint.PortKey);

    /// <summary>metrics.host: the address the endpoint binds (every interface when unset).</summary>
    public string? MetricsHost => Static(Metrics.MetricsEndpoint.HostKey) is { Length: > 0 } host ? host : null;

    /// <summary>replica.selector.class names Kafka's RackAwareReplicaSelector (KIP-392); unset, consumers read from leaders.</summary>
    public bool RackAwareReplicaSelector => Static(Partitions.ReadReplicaSelector.ConfigKey) is { Length: > 0 };

    /// <summary>Builds and validates a config from properties; throws <see cref="ConfigException"/> on bad values.</summary>
    public static BrokerConfig Create(IReadOnlyDictionary<string, string> props)
    {
        ArgumentNullException.ThrowIfNull(props);
        var staticProps = new Dictionary<string, string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        var errors = new List<string>();
        foreach (var (key, value) in props)
        {
            staticProps[key] = value.Trim();
            var def = BrokerConfigDefs.Find(key);
            if (def is null)
            {
                unknown.Add(key);
                continue;
            }
            if (def.Validate(value) is { } error)
                errors.Add(error);
        }
        if (errors.Count > 0)
            throw new ConfigException(string.Join(Environment.NewLine, errors));
        return new BrokerConfig(staticProps, unknown);
    }

    /// <summary>Loads server.properties and applies key=value overrides on top.</summary>
    public static BrokerConfig Load(string? path, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var props = path is null ? new Dictionary<string, string>(StringComparer.Ordinal) : PropertiesFile.Load(path);
        foreach (var (k, v) in overrides)
            props[k] = v;
        return Create(props);
    }

    public string? Static(string name) => _static.GetValueOrDefault(name);

    /// <summary>Resolves one broker key (without synonyms) by precedence.</summary>
    public ConfigSynonym Resolve(string name)
    {
        if (_dynamicBroker.TryGetValue(name, out var v))
            return new(name, v, ConfigSource.DynamicBrokerConfig);
        if (_dynamicDefault.TryGetValue(name, out v))
            return new(name, v, ConfigSource.DynamicDefaultBrokerConfig);
        if (_static.TryGetValue(name, out v))
            return new(name, v, ConfigSource.StaticBrokerConfig);
        return new(name, BrokerConfigDefs.Find(name)?.DefaultValue, ConfigSource.DefaultConfig);
    }

    /// <summary>
    /// Every place a broker setting is defined, in Kafka's synonym order: for each source (dynamic broker, dynamic
    /// default, static, default), each synonym key that has a value there. The first entry is the effective one.
    /// </summary>
    public List<ConfigSynonym> Synonyms(string brokerName)
    {
        var names = BrokerConfigDefs.Synonyms(brokerName);
        var start = 0;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == brokerName)
                start = i;
        }
        var result = new List<ConfigSynonym>();
        Add(result, names, start, _dynamicBroker, ConfigSource.DynamicBrokerConfig);
        Add(result, names, start, _dynamicDefault, ConfigSource.DynamicDefaultBrokerConfig);
        Add(result, names, start, _static, ConfigSource.StaticBrokerConfig);
        for (var i = start; i < names.Count; i++)
        {
            if (BrokerConfigDefs.Find(names[i])?.DefaultValue is { } d)
                result.Add(new(names[i], d, ConfigSource.DefaultConfig));
        }
        return result;
    }

    /// <summary>The broker-level value behind a topic config, converted to the topic key's unit (hours → ms).</summary>
    public static string? ToTopicUnit(ConfigSynonym synonym)
    {
        if (synonym.Value is null)
            return null;
        return synonym.Name switch
        {
            "log.retention.minutes" => (ParseLong(synonym.Value) * MsPerMinute).ToString(CultureInfo.InvariantCulture),
            "log.retention.hours" or "log.roll.hours" or "log.roll.jitter.hours" =>
                ParseLong(synonym.Value) < 0 ? "-1" : (ParseLong(synonym.Value) * MsPerHour).ToString(CultureInfo.InvariantCulture),
            _ => synonym.Value,
        };
    }

    public string? Get(string name) => Resolve(name).Value;
    public int GetInt(string name) => ParseInt(Get(name) ?? "0");
    public long GetLong(string name) => ParseLong(Get(name) ?? "0");
    public bool GetBool(string name) => string.Equals(Get(name), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Replaces the dynamic values (per-broker when perBroker, else the cluster default) atomically.</summary>
    public void SetDynamic(bool perBroker, IReadOnlyDictionary<string, string> values)
    {
        var copy = new Dictionary<string, string>(values, StringComparer.Ordinal);
        if (perBroker)
            _dynamicBroker = copy;
        else
            _dynamicDefault = copy;
        Changed?.Invoke();
    }

    /// <summary>Raised after dynamic values change so topic configs can recompute their effective values.</summary>
    public event Action? Changed;

    internal static int ParseInt(string s) => int.Parse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
    internal static long ParseLong(string s) => long.Parse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static void Add(List<ConfigSynonym> result, IReadOnlyList<string> names, int start, Dictionary<string, string> map, ConfigSource source)
    {
        for (var i = start; i < names.Count; i++)
        {
            if (map.TryGetValue(names[i], out var v))
                result.Add(new(names[i], v, source));
        }
    }
}
