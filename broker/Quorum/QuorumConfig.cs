namespace KafkaOperator.Quorum;

/// <summary>
/// A quorum member's settings, by Kafka's names: controller.quorum.election.timeout.ms, .fetch.timeout.ms and
/// .request.timeout.ms. FetchMaxWaitMs caps how long the leader holds a follower's fetch that finds nothing new
/// (long poll); unset, it is Kafka's fetch timeout / 2. A node not in <see cref="Voters"/> is an observer: it follows
/// the log without voting. It finds the leader by asking <see cref="Bootstrap"/> (ids its transport can reach:
/// controller.quorum.bootstrap.servers), or the voters when that is empty. <see cref="Endpoints"/> are the voters'
/// addresses ("host:port"), which a voter hands to observers with the leader's id (Kafka's Fetch NodeEndpoints).
/// </summary>
public sealed record QuorumConfig(
    int NodeId,
    IReadOnlyList<int> Voters,
    string ClusterId,
    int ElectionTimeoutMs = 1000,
    int FetchTimeoutMs = 2000,
    int RequestTimeoutMs = 2000,
    int? FetchMaxWaitMs = null,
    int MaxFetchBytes = 1 << 20,
    IReadOnlyList<int>? Bootstrap = null,
    IReadOnlyDictionary<int, string>? Endpoints = null)
{
    /// <summary>Whom an observer asks for the leader: <see cref="Bootstrap"/>, or the voters.</summary>
    public IReadOnlyList<int> DiscoveryIds => Bootstrap is { Count: > 0 } bootstrap ? bootstrap : Voters;

    /// <summary>
    /// The max wait a follower's fetch carries. At most half the fetch timeout, so a follower hears from a live
    /// leader at least twice per fetch timeout and the leader sees each voter fetch well within its check-quorum
    /// window; and at most half the request timeout, so a held answer arrives before its sender gives up on it.
    /// </summary>
    public int FetchWaitMs
    {
        get
        {
            var limit = Math.Min(FetchTimeoutMs, RequestTimeoutMs) / 2;
            return FetchMaxWaitMs is { } wait ? Math.Clamp(wait, 0, limit) : limit;
        }
    }
}
