namespace KafkaOperator.Groups;

/// <summary>The classic group states, named as Kafka reports them (ListGroups/DescribeGroups).</summary>
public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}
