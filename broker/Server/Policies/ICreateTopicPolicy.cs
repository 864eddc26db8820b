namespace KafkaOperator.Server.Policies;

/// <summary>
/// What a topic creation or partition increase asks for, after defaults are resolved. <see cref="CurrentPartitions"/>
/// is 0 for a new topic; for CreatePartitions it is the topic's count before the change, <see cref="NumPartitions"/>
/// the count after it, and <see cref="Configs"/> is empty (the request sets none).
/// </summary>
/// <param name="Topic">The topic name.</param>
/// <param name="NumPartitions">Partitions the topic will have.</param>
/// <param name="ReplicationFactor">Replicas of each new partition (the largest when an assignment is given).</param>
/// <param name="Assignments">Replica lists of the new partitions when the client assigned them, else null.</param>
/// <param name="Configs">Topic config overrides the request sets.</param>
/// <param name="CurrentPartitions">Partitions the topic has now (0 when it is being created).</param>
public sealed record TopicPolicyRequest(
    string Topic,
    int NumPartitions,
    short ReplicationFactor,
    IReadOnlyList<int[]>? Assignments,
    IReadOnlyDictionary<string, string> Configs,
    int CurrentPartitions)
{
    public bool IsNewTopic => CurrentPartitions == 0;
}

/// <summary>
/// Kafka's CreateTopicPolicy (create.topic.policy.class.name): validates CreateTopics (also validate-only and
/// Metadata auto-creation) and, unlike Kafka, CreatePartitions, so a partition limit cannot be side-stepped by
/// growing a topic after creating it small. Returns null to allow, otherwise the message that goes back to the
/// client with POLICY_VIOLATION.
/// </summary>
public interface ICreateTopicPolicy
{
    string? Validate(TopicPolicyRequest request);
}
