using KafkaOperator.Server.Config;

namespace KafkaOperator.Server.Policies;

/// <summary>
/// The policies the broker configuration names. Kafka loads create.topic.policy.class.name and
/// alter.config.policy.class.name as Java plugin classes; this broker has no plugins, so the names select built-in
/// policies instead, and any other name stops the broker at start-up (ConfigException naming the key).
/// </summary>
public sealed class BrokerPolicies
{
    public const string CreateTopicPolicyKey = "create.topic.policy.class.name";
    public const string AlterConfigPolicyKey = "alter.config.policy.class.name";

    private static readonly string[] BuiltIn = [TopicLimitsPolicy.ClassName];

    private BrokerPolicies(ICreateTopicPolicy? createTopic, IAlterConfigPolicy? alterConfig, IReadOnlyList<string>? warnings = null)
    {
        CreateTopic = createTopic;
        AlterConfig = alterConfig;
        Warnings = warnings ?? [];
    }

    public static BrokerPolicies None { get; } = new(null, null);

    /// <summary>Configuration that loads but does nothing (limits set without a policy), for the start-up log.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Validates CreateTopics, Metadata auto-creation and CreatePartitions; null when none is configured.</summary>
    public ICreateTopicPolicy? CreateTopic { get; }

    /// <summary>Validates AlterConfigs and IncrementalAlterConfigs; null when none is configured.</summary>
    public IAlterConfigPolicy? AlterConfig { get; }

    /// <summary>The <see cref="ConfigKey.Check"/> of the two class-name keys.</summary>
    public static string? CheckClassName(string value) =>
        value.Length == 0 || BuiltIn.Contains(value, StringComparer.Ordinal)
            ? null
            : $"Class {value} cannot be found: this broker loads no Java plugins; the built-in policies are: {string.Join(", ", BuiltIn)}";

    /// <summary>The <see cref="ConfigKey.Check"/> of policy.topic.name.pattern.</summary>
    public static string? CheckPattern(string value)
    {
        try
        {
            _ = TopicLimitsPolicy.CompileNamePattern(value);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"not a valid regular expression: {ex.Message}";
        }
    }

    /// <summary>The <see cref="ConfigKey.Check"/> of policy.topic.forbidden.configs: only known topic configs.</summary>
    public static string? CheckTopicConfigNames(string value)
    {
        foreach (var name in ConfigKey.SplitList(value))
        {
            if (TopicConfigDefs.Find(name) is null)
                return $"{name} is not a topic config";
        }
        return null;
    }

    /// <summary>Builds the configured policies from static broker config; throws <see cref="ConfigException"/>.</summary>
    public static BrokerPolicies Load(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var createName = config.Get(CreateTopicPolicyKey)?.Trim();
        var alterName = config.Get(AlterConfigPolicyKey)?.Trim();
        if (string.IsNullOrEmpty(createName) && string.IsNullOrEmpty(alterName))
        {
            var unused = config.StaticValues.Keys.Where(k => k.StartsWith("policy.topic.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            return unused.Count == 0 ? None : new BrokerPolicies(null, null,
                [$"{string.Join(", ", unused)} set but no policy enforces them: set {CreateTopicPolicyKey} and/or {AlterConfigPolicyKey} to {TopicLimitsPolicy.ClassName}"]);
        }
        // Both keys can only name TopicLimits today (CheckClassName ran on them), so one instance serves both.
        var limits = new TopicLimitsPolicy(ReadLimits(config));
        return new BrokerPolicies(string.IsNullOrEmpty(createName) ? null : limits, string.IsNullOrEmpty(alterName) ? null : limits);
    }

    private static TopicLimits ReadLimits(BrokerConfig config)
    {
        var minRf = (short)config.GetInt(TopicLimitsPolicy.MinReplicationFactorKey);
        var maxRf = (short)config.GetInt(TopicLimitsPolicy.MaxReplicationFactorKey);
        if (minRf > maxRf)
        {
            throw new ConfigException($"Invalid value {minRf} for configuration {TopicLimitsPolicy.MinReplicationFactorKey}: " +
                $"above {TopicLimitsPolicy.MaxReplicationFactorKey}={maxRf}, so no topic could be created");
        }
        var pattern = config.Get(TopicLimitsPolicy.NamePatternKey);
        return new TopicLimits(
            config.GetInt(TopicLimitsPolicy.MaxPartitionsKey),
            minRf,
            maxRf,
            config.GetInt(TopicLimitsPolicy.MinInsyncReplicasKey),
            new HashSet<string>(ConfigKey.SplitList(config.Get(TopicLimitsPolicy.ForbiddenConfigsKey)), StringComparer.Ordinal),
            string.IsNullOrEmpty(pattern) ? null : pattern);
    }
}
