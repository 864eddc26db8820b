namespace KafkaOperator.Server.Partitions;

public sealed partial class Partition
{
    /// <summary>
    /// Leader: the followers a consumer at <paramref name="fetchOffset"/> may be sent to (KIP-392): in the ISR and
    /// holding that offset already, as Kafka's ReplicaManager.findPreferredReadReplica. A follower out of the ISR may
    /// lag without bound, so the leader stops sending consumers to it. Empty on a follower.
    /// </summary>
    public List<(int BrokerId, long LogEndOffset, long TimeSinceLastCaughtUpMs)> ReadReplicaCandidates(long fetchOffset, long nowMs)
    {
        var candidates = new List<(int, long, long)>();
        lock (_lock)
        {
            var role = _role;
            if (!role.IsLeader || _stopped)
                return candidates;
            foreach (var (id, follower) in _followers)
            {
                if (Array.IndexOf(role.Isr, id) >= 0 && follower.LogEndOffset >= fetchOffset && Log.LogStartOffset <= fetchOffset)
                    candidates.Add((id, follower.LogEndOffset, nowMs - follower.LastCaughtUpMs));
            }
        }
        return candidates;
    }
}
