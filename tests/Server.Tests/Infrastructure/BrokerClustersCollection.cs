namespace KafkaOperator.Server.Tests.Infrastructure;

/// <summary>
/// Multi-broker failure scenarios (kills, cuts, failovers, reassignments): one after another, like the real-client
/// round trips, but beside them rather than after them. These tests spend most of their time waiting for sessions
/// to expire and leaders to move, so the two chains share the two CPUs well, and the suite's wall time drops by
/// the shorter chain's length. Their waits follow events with scaled deadlines (see <see cref="Eventually"/>).
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrokerClustersCollection
{
    public const string Name = "broker clusters";
}
