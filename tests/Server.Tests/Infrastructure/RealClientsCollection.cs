namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// The real-client tests run one after another: each drives a broker process and a client process at full speed,
/// and running them side by side on a small machine would only make them slower and their time windows flaky.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealClientsCollection
{
    public const string Name = "real clients";
}
