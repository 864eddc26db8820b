namespace KafkaOperator.Operator.Models;

public sealed class ModelOptions
{
    /// <summary>Broker image used when a KafkaCluster does not name one.</summary>
    public string DefaultBrokerImage { get; init; } = "ghcr.io/kafkaoperator/broker:latest";

    /// <summary>Time a broker gets to flush and hand over leadership before it is killed.</summary>
    public int TerminationGracePeriodSeconds { get; init; } = 120;
}
