using System.Globalization;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Cluster;

/// <summary>Kafka's config resource types (DescribeConfigs/AlterConfigs).</summary>
public enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
}

/// <summary>One described config entry, version-independent.</summary>
public sealed record ConfigEntry(string Name, string? Value, bool ReadOnly, ConfigSource Source, bool Sensitive, ConfigType Type, IReadOnlyList<ConfigSynonym> Synonyms);

/// <summary>
/// Describes and alters topic and broker configs as Kafka does: topic overrides live in the topic's metadata,
/// dynamic broker configs (per broker: name "&lt;node id&gt;", cluster default: name "") in the metadata image
/// under "broker:&lt;node id&gt;:" / "default:" prefixes, and both reach the live logs through the replica manager. The
/// image is shared by every broker of a cluster, so each broker applies the cluster defaults and its own entries,
/// also when another broker made the change. A change that passes validation then goes to the configured
/// alter-config policy (POLICY_VIOLATION when it refuses), also when validate-only.
/// Exception policy: a change the metadata quorum cannot commit is NOT_CONTROLLER (retriable), never an exception.
/// </summary>
public sealed class ConfigManager(BrokerConfig config, IMetadataStore store)
{
    private const string BrokerPrefix = "broker:";
    private const string DefaultPrefix = "default:";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _applyLock = new();
    private MetadataImage? _seen;

    /// <summary>Loads the persisted dynamic broker configs into the live config and follows later changes.</summary>
    public void LoadDynamic()
    {
        Apply(store.Image);
        store.Changed += OnChanged;
    }

    /// <summary>
    /// Most commits change no broker config: only those are compared with the live ones, and any image after one
    /// this layer did not see (a full delta, a snapshot; or one published before <see cref="LoadDynamic"/> subscribed).
    /// </summary>
    private void OnChanged(MetadataImage image, MetadataDelta delta)
    {
        lock (_applyLock)
        {
            if (delta.BrokerConfigsChanged || !delta.AppliesTo(_seen))
                ApplyLocked(image);
            _seen = image;
        }
    }

    private void Apply(MetadataImage image)
    {
        lock (_applyLock)
        {
            ApplyLocked(image);
            _seen = image;
        }
    }

    /// <summary>Applies the image's dynamic broker configs where they differ from the live ones.</summary>
    private void ApplyLocked(MetadataImage image)
    {
        var (perBroker, defaults) = Split(image.BrokerConfigs);
        if (!SameEntries(defaults, config.DynamicDefaultValues))
            config.SetDynamic(perBroker: false, defaults);
        if (!SameEntries(perBroker, config.DynamicBrokerValues))
            config.SetDynamic(perBroker: true, perBroker);
    }

    private static bool SameEntries(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public (ErrorCode Error, string? Message, List<ConfigEntry>? Entries) Describe(ConfigResourceType type, string name, IReadOnlyList<string>? keys)
    {
        switch (type)
        {
            case ConfigResourceType.Topic:
                var topic = store.Image.Topic(name);
                if (topic is null)
                    return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.", null);
                var effective = TopicConfig.Create(config, topic.Configs);
                var entries = new List<ConfigEntry>();
                foreach (var key in TopicConfigDefs.All)
                {
                    if (keys is not null && !keys.Contains(key.Name))
                        continue;
                    var synonyms = effective.Synonyms(key.Name);
                    var source = synonyms.Count > 0 ? synonyms[0].Source : ConfigSource.DefaultConfig;
                    entries.Add(new ConfigEntry(key.Name, effective.Value(key.Name), false, source, false, key.Key.Type, synonyms));
                }
                return (ErrorCode.None, null, entries);
            case ConfigResourceType.Broker:
                if (BrokerTarget(name) is { } error)
                    return (ErrorCode.InvalidRequest, error, null);
                var result = new List<ConfigEntry>();
                foreach (var key in BrokerConfigDefs.All)
                {
                    if (keys is not null && !keys.Contains(key.Name))
                        continue;
                    List<ConfigSynonym> synonyms;
                    if (name.Length == 0)
                    {
                        if (!config.DynamicDefaultValues.TryGetValue(key.Name, out var v))
                            continue;
                        synonyms = [new ConfigSynonym(key.Name, v, ConfigSource.DynamicDefaultBrokerConfig)];
                    }
                    else
                    {
                        synonyms = config.Synonyms(key.Name);
                    }
                    var resolved = name.Length == 0 ? synonyms[0] : config.Resolve(key.Name);
                    result.Add(new ConfigEntry(key.Name, key.Sensitive ? null : resolved.Value, !key.Dynamic, resolved.Source, key.Sensitive, key.Type, synonyms));
                }
                AddUnknownBrokerKeys(result, name, keys);
                return (ErrorCode.None, null, result);
            case ConfigResourceType.BrokerLogger:
                return (ErrorCode.None, null, []);
            default:
                return (ErrorCode.InvalidRequest, $"Unsupported resource type {(sbyte)type}", null);
        }
    }

    /// <summary>
    /// Keys the broker does not define but holds (set dynamically, or in server.properties for broker "&lt;id&gt;"),
    /// described as Kafka does: without a type Kafka cannot tell whether the value is a secret, so it is reported
    /// as sensitive (no value) and read-only, with its sources as synonyms.
    /// </summary>
    private void AddUnknownBrokerKeys(List<ConfigEntry> result, string name, IReadOnlyList<string>? keys)
    {
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var k in config.DynamicDefaultValues.Keys)
            unknown.Add(k);
        if (name.Length > 0)
        {
            unknown.UnionWith(config.DynamicBrokerValues.Keys);
            unknown.UnionWith(config.UnknownKeys);
        }
        foreach (var k in unknown)
        {
            if (BrokerConfigDefs.Find(k) is not null || (keys is not null && !keys.Contains(k)))
                continue;
            List<ConfigSynonym> synonyms = name.Length == 0
                ? [new ConfigSynonym(k, config.DynamicDefaultValues[k], ConfigSource.DynamicDefaultBrokerConfig)]
                : config.Synonyms(k);
            result.Add(new ConfigEntry(k, null, true, synonyms[0].Source, true, ConfigType.Unknown, synonyms));
        }
    }

    /// <summary>
    /// Computes the new override set from the old one with <paramref name="edit"/>, validates it, and applies it
    /// unless <paramref name="validateOnly"/>. The edit returns an error message to reject the change.
    /// </summary>
    public async Task<(ErrorCode Error, string? Message)> AlterAsync(ConfigResourceType type, string name, bool validateOnly,
        Func<Dictionary<string, string>, Func<string, ConfigKey?>, (ErrorCode, string?)> edit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edit);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            switch (type)
            {
                case ConfigResourceType.Topic:
                    {
                        var topic = store.Image.Topic(name);
                        if (topic is null)
                            return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
                        var next = new Dictionary<string, string>(topic.Configs, StringComparer.Ordinal);
                        var (error, message) = edit(next, k => TopicConfigDefs.Find(k)?.Key);
                        if (error != ErrorCode.None)
                            return (error, message);
                        foreach (var (k, v) in next)
                        {
                            if (TopicConfigDefs.Validate(k, v) is { } invalid)
                                return (ErrorCode.InvalidConfig, invalid);
                        }
                        if (config.Policies.AlterConfig?.Validate(type, name, topic.Configs, next) is { } violation)
                            return (ErrorCode.PolicyViolation, violation);
                        if (!validateOnly && await StoreCommit.RunAsync(() => store.SetTopicConfigsAsync(topic.TopicId, next, cancellationToken)).ConfigureAwait(false) is { } failed)
                            return failed;
                        return (ErrorCode.None, null);
                    }
                case ConfigResourceType.Broker:
                    {
                        if (BrokerTarget(name) is { } targetError)
                            return (ErrorCode.InvalidRequest, targetError);
                        var perBroker = name.Length > 0;
                        var next = new Dictionary<string, string>(perBroker ? config.DynamicBrokerValues : config.DynamicDefaultValues, StringComparer.Ordinal);
                        var (error, message) = edit(next, BrokerConfigDefs.Find);
                        if (error != ErrorCode.None)
                            return (error, message);
                        if (ValidateBrokerChange(next) is { } refused)
                            return refused;
                        var before = perBroker ? config.DynamicBrokerValues : config.DynamicDefaultValues;
                        if (config.Policies.AlterConfig?.Validate(type, name, before, next) is { } violation)
                            return (ErrorCode.PolicyViolation, violation);
                        if (validateOnly)
                            return (ErrorCode.None, null);
                        // Other brokers' entries stay as they are; this broker's own section (or the defaults) is replaced.
                        var own = perBroker ? OwnPrefix : DefaultPrefix;
                        var all = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var (k, v) in store.Image.BrokerConfigs)
                        {
                            if (!k.StartsWith(own, StringComparison.Ordinal) && !(perBroker && IsLegacyOwn(k)))
                                all[k] = v;
                        }
                        foreach (var (k, v) in next)
                            all[own + k] = v;
                        if (await StoreCommit.RunAsync(() => store.SetBrokerConfigsAsync(all, cancellationToken)).ConfigureAwait(false) is { } failed)
                            return failed;
                        Apply(store.Image);
                        return (ErrorCode.None, null);
                    }
                default:
                    return (ErrorCode.InvalidRequest, $"Unsupported resource type {(sbyte)type}");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// As Kafka's DynamicBrokerConfig: names the broker does not know are accepted and stored (plugins such as
    /// metrics reporters read custom keys); known keys that cannot change at runtime refuse the whole change with
    /// INVALID_REQUEST, all of them named; then each known value must be valid.
    /// </summary>
    private static (ErrorCode, string?)? ValidateBrokerChange(Dictionary<string, string> next)
    {
        var nonDynamic = next.Keys.Where(k => BrokerConfigDefs.Find(k) is { Dynamic: false }).Order(StringComparer.Ordinal).ToList();
        if (nonDynamic.Count > 0)
            return (ErrorCode.InvalidRequest, $"Cannot update these configs dynamically: Set({string.Join(", ", nonDynamic)})");
        foreach (var (k, v) in next)
        {
            if (BrokerConfigDefs.Find(k)?.Validate(v) is { } invalid)
                return (ErrorCode.InvalidConfig, invalid);
        }
        return null;
    }

    private string OwnPrefix => BrokerPrefix + config.NodeId.ToString(CultureInfo.InvariantCulture) + ":";

    /// <summary>"broker:key", as a single node stored its own entries before clusters: still this node's.</summary>
    private static bool IsLegacyOwn(string key) =>
        key.StartsWith(BrokerPrefix, StringComparison.Ordinal) && key.IndexOf(':', BrokerPrefix.Length) < 0;

    private string? BrokerTarget(string name)
    {
        if (name.Length == 0)
            return null;
        if (!int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
            return $"Broker id must be an integer, but it is: {name}";
        return id == config.NodeId ? null : $"Unexpected broker id, expected {config.NodeId} or empty string, but received {name}";
    }

    /// <summary>This broker's own entries (its section, or legacy un-numbered ones) and the cluster defaults.</summary>
    private (Dictionary<string, string> PerBroker, Dictionary<string, string> Defaults) Split(IReadOnlyDictionary<string, string> all)
    {
        var perBroker = new Dictionary<string, string>(StringComparer.Ordinal);
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        var own = OwnPrefix;
        foreach (var (k, v) in all)
        {
            if (k.StartsWith(own, StringComparison.Ordinal))
                perBroker[k[own.Length..]] = v;
            else if (IsLegacyOwn(k))
                perBroker.TryAdd(k[BrokerPrefix.Length..], v);
            else if (k.StartsWith(DefaultPrefix, StringComparison.Ordinal))
                defaults[k[DefaultPrefix.Length..]] = v;
        }
        return (perBroker, defaults);
    }
}
