namespace KafkaOperator.Quorum;

/// <summary>
/// A quorum member's settings, by Kafka's names: controller.quorum.election.timeout.ms, .fetch.timeout.ms and
/// .request.timeout.ms. FetchIntervalMs is how long a caught-up follower waits before fetching again.
/// </summary>
public sealed record QuorumConfig(
    int NodeId,
    IReadOnlyList<int> Voters,
    string ClusterId,
    int ElectionTimeoutMs = 1000,
    int FetchTimeoutMs = 2000,
    int RequestTimeoutMs = 2000,
    int FetchIntervalMs = 50,
    int MaxFetchBytes = 1 << 20);
