using System.Globalization;
using System.Text.RegularExpressions;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Policies;

/// <summary>The limits <see cref="TopicLimitsPolicy"/> enforces, read from the policy.topic.* broker keys.</summary>
public sealed record TopicLimits(
    int MaxPartitions,
    short MinReplicationFactor,
    short MaxReplicationFactor,
    int MinInsyncReplicas,
    IReadOnlySet<string> ForbiddenConfigs,
    string? NamePattern);

/// <summary>
/// The built-in policy kafkaoperator.policy.TopicLimits, usable as both create.topic.policy.class.name and
/// alter.config.policy.class.name: what a platform team typically enforces on self-service topics — a partition
/// ceiling, a replication factor range, a min.insync.replicas floor, topic configs users may not override (they
/// keep the broker default), and a naming convention. Kafka's internal topics (__consumer_offsets) are exempt:
/// the broker creates them itself. Every message names the limit and the broker key that sets it.
/// </summary>
public sealed class TopicLimitsPolicy(TopicLimits limits) : ICreateTopicPolicy, IAlterConfigPolicy
{
    public const string ClassName = "kafkaoperator.policy.TopicLimits";
    public const string MaxPartitionsKey = "policy.topic.max.partitions";
    public const string MinReplicationFactorKey = "policy.topic.min.replication.factor";
    public const string MaxReplicationFactorKey = "policy.topic.max.replication.factor";
    public const string MinInsyncReplicasKey = "policy.topic.min.insync.replicas";
    public const string ForbiddenConfigsKey = "policy.topic.forbidden.configs";
    public const string NamePatternKey = "policy.topic.name.pattern";

    private const string MinIsr = "min.insync.replicas";

    private readonly Regex? _namePattern = string.IsNullOrEmpty(limits.NamePattern) ? null : CompileNamePattern(limits.NamePattern);

    public TopicLimits Limits => limits;

    /// <summary>Anchored, so the pattern describes the whole name; the timeout bounds a pathological pattern.</summary>
    public static Regex CompileNamePattern(string pattern) =>
        new($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    public string? Validate(TopicPolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (TopicNames.IsInternal(request.Topic))
            return null;
        var topic = request.Topic;
        if (request.IsNewTopic && _namePattern is { } pattern && !Matches(pattern, topic))
            return Violation($"Topic name '{topic}' does not match the required pattern {limits.NamePattern} ({NamePatternKey})");
        if (request.NumPartitions > limits.MaxPartitions)
        {
            return Violation(request.IsNewTopic
                ? $"Topic '{topic}' would have {request.NumPartitions} partitions, more than the {limits.MaxPartitions} allowed ({MaxPartitionsKey})"
                : $"Topic '{topic}' would grow from {request.CurrentPartitions} to {request.NumPartitions} partitions, more than the {limits.MaxPartitions} allowed ({MaxPartitionsKey})");
        }
        if (request.Assignments is { } assignments)
        {
            for (var i = 0; i < assignments.Count; i++)
            {
                if (CheckReplicationFactor(topic, assignments[i].Length, $" for partition {request.CurrentPartitions + i}") is { } bad)
                    return bad;
            }
        }
        else if (request.IsNewTopic && CheckReplicationFactor(topic, request.ReplicationFactor, "") is { } bad)
        {
            return bad;
        }
        foreach (var (key, value) in request.Configs)
        {
            if (CheckConfig(topic, key, value) is { } bad)
                return bad;
        }
        return null;
    }

    public string? Validate(ConfigResourceType type, string name, IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        switch (type)
        {
            case ConfigResourceType.Topic when !TopicNames.IsInternal(name):
                // Only what this request adds or changes: removing an override restores the broker default, and an
                // override set before the policy was configured does not block unrelated changes.
                foreach (var (key, value) in after)
                {
                    if (before.TryGetValue(key, out var old) && old == value)
                        continue;
                    if (CheckConfig(name, key, value) is { } bad)
                        return bad;
                }
                return null;
            case ConfigResourceType.Broker:
                if (after.TryGetValue(MinIsr, out var isr) && !(before.TryGetValue(MinIsr, out var oldIsr) && oldIsr == isr)
                    && int.TryParse(isr, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n < limits.MinInsyncReplicas)
                {
                    return Violation($"Broker {(name.Length == 0 ? "default" : name)} {MinIsr}={n} is below the floor of {limits.MinInsyncReplicas} ({MinInsyncReplicasKey})");
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Matches(Regex pattern, string topic)
    {
        try
        {
            return pattern.IsMatch(topic);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private string? CheckReplicationFactor(string topic, int rf, string where)
    {
        if (rf < limits.MinReplicationFactor)
            return Violation($"Topic '{topic}' replication factor {rf}{where} is below the minimum of {limits.MinReplicationFactor} ({MinReplicationFactorKey})");
        if (rf > limits.MaxReplicationFactor)
            return Violation($"Topic '{topic}' replication factor {rf}{where} is above the maximum of {limits.MaxReplicationFactor} ({MaxReplicationFactorKey})");
        return null;
    }

    private string? CheckConfig(string topic, string key, string value)
    {
        if (limits.ForbiddenConfigs.Contains(key))
            return Violation($"Topic '{topic}' may not set {key}: the platform fixes it at the broker default ({ForbiddenConfigsKey})");
        if (key == MinIsr && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n < limits.MinInsyncReplicas)
            return Violation($"Topic '{topic}' {MinIsr}={n} is below the floor of {limits.MinInsyncReplicas} ({MinInsyncReplicasKey})");
        return null;
    }

    private static string Violation(string what) => $"{what}; rejected by policy {ClassName}";
}
