using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Policies;

/// <summary>
/// Kafka's AlterConfigPolicy (alter.config.policy.class.name): validates AlterConfigs and IncrementalAlterConfigs
/// (also validate-only) after the new values passed type validation.
/// </summary>
public interface IAlterConfigPolicy
{
    /// <summary>
    /// <paramref name="before"/> and <paramref name="after"/> are the resource's whole override sets, so a policy
    /// can tell what the request changes. Returns null to allow, otherwise the message that goes back to the
    /// client with POLICY_VIOLATION.
    /// </summary>
    string? Validate(ConfigResourceType type, string name, IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after);
}
