namespace KafkaOperator.Operator.Models;

public sealed class ModelOptions
{
    /// <summary>
    /// The broker image as `make images` tags it by default (REGISTRY/broker:TAG in the Makefile, also named in
    /// config/deployment.yaml): one default everywhere, so an operator deployed without options runs the brokers
    /// built next to it.
    /// </summary>
    public const string BuiltInBrokerImage = "ghcr.io/kafkaoperator/broker:dev";

    /// <summary>Broker image used when a KafkaCluster does not name one.</summary>
    public string DefaultBrokerImage { get; init; } = BuiltInBrokerImage;

    /// <summary>Time a broker gets to flush and hand over leadership before it is killed.</summary>
    public int TerminationGracePeriodSeconds { get; init; } = 120;
}
