namespace KafkaOperator.Server.Partitions;

/// <summary>A replica a consumer could read from, as the leader sees it (Kafka's ReplicaView).</summary>
public readonly record struct ReadReplicaView(int BrokerId, string? Rack, long LogEndOffset, long TimeSinceLastCaughtUpMs);

/// <summary>
/// Kafka's RackAwareReplicaSelector (KIP-392), the one selector replica.selector.class may name here: a consumer
/// whose rack holds the leader, or holds no candidate, reads from the leader; otherwise from the most caught-up
/// replica in its rack.
/// </summary>
public static class ReadReplicaSelector
{
    public const string ConfigKey = "replica.selector.class";

    public const string RackAwareClassName = "org.apache.kafka.common.replica.RackAwareReplicaSelector";

    /// <summary>The config check: only Kafka's rack-aware selector exists here (no plugins are loaded).</summary>
    public static string? CheckClassName(string value) =>
        value.Length == 0 || value == RackAwareClassName ? null : $"Class {value} cannot be found (only {RackAwareClassName} is available)";

    /// <summary>
    /// The replica a consumer in <paramref name="clientRack"/> should read from instead of the leader, or -1 for the
    /// leader itself (which is never sent as a preferred read replica, as in Kafka).
    /// </summary>
    public static int Select(string? clientRack, ReadReplicaView leader, IReadOnlyList<ReadReplicaView> followers)
    {
        ArgumentNullException.ThrowIfNull(followers);
        if (string.IsNullOrEmpty(clientRack) || leader.Rack == clientRack)
            return -1;
        ReadReplicaView? best = null;
        foreach (var f in followers)
        {
            if (f.Rack != clientRack)
                continue;
            // Kafka's comparator: the highest log end offset, then the most recently caught up.
            if (best is not { } b || f.LogEndOffset > b.LogEndOffset
                || (f.LogEndOffset == b.LogEndOffset && f.TimeSinceLastCaughtUpMs < b.TimeSinceLastCaughtUpMs))
                best = f;
        }
        return best?.BrokerId ?? -1;
    }
}
