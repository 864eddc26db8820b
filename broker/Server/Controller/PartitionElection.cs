using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// The active controller's rule for one partition, given which brokers are alive (registered and unfenced), as in
/// KRaft's PartitionChangeBuilder: dead brokers leave the ISR, except the last member, which stays so that the
/// partition remembers who has every committed record; the leader stays while it is alive and in sync, otherwise
/// it is the first replica (in assignment order, so the preferred leader wins when it can) that is alive and in
/// the ISR. With no such replica the partition has no leader, unless unclean election is allowed: then the first
/// live replica leads with itself as the ISR, and records acknowledged by the others may be lost.
/// </summary>
public static class PartitionElection
{
    public static PartitionChangeRecord? Decide(Guid topicId, PartitionMetadata p, Func<int, bool> isLive, bool uncleanAllowed)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(isLive);
        if (p.Isr.Length == 0)
            return null;
        var isr = p.Isr.Where(isLive).ToArray();
        if (isr.Length == 0)
        {
            // Keep one member: the leader if it was in sync, otherwise the first in ISR order.
            isr = [Array.IndexOf(p.Isr, p.Leader) >= 0 ? p.Leader : p.Isr[0]];
        }
        var leader = p.Leader >= 0 && isLive(p.Leader) && Array.IndexOf(isr, p.Leader) >= 0 ? p.Leader : -1;
        if (leader < 0)
        {
            foreach (var r in p.Replicas)
            {
                if (isLive(r) && Array.IndexOf(isr, r) >= 0)
                {
                    leader = r;
                    break;
                }
            }
        }
        var unclean = false;
        if (leader < 0 && uncleanAllowed)
        {
            foreach (var r in p.Replicas)
            {
                if (isLive(r))
                {
                    leader = r;
                    isr = [r];
                    unclean = true;
                    break;
                }
            }
        }
        var isrChanged = !isr.AsSpan().SequenceEqual(p.Isr);
        if (leader == p.Leader && !isrChanged)
            return null;
        return new PartitionChangeRecord(topicId, p.Partition, p.PartitionEpoch, leader == p.Leader ? null : leader, isrChanged ? isr : null, unclean);
    }

    /// <summary>Every change the image needs now (leaders off dead brokers, dead brokers out of ISRs, leaderless partitions led again).</summary>
    public static List<PartitionChangeRecord> DecideAll(MetadataImage image, Func<TopicMetadata, bool> uncleanAllowed)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(uncleanAllowed);
        var changes = new List<PartitionChangeRecord>();
        bool IsLive(int id) => image.Brokers.TryGetValue(id, out var b) && !b.Fenced;
        foreach (var topic in image.TopicsById.Values)
        {
            bool? unclean = null;
            foreach (var p in topic.Partitions)
            {
                // Cheap test first: most partitions need nothing.
                if (p.Leader >= 0 && IsLive(p.Leader) && p.Isr.All(IsLive))
                    continue;
                unclean ??= uncleanAllowed(topic);
                if (Decide(topic.TopicId, p, IsLive, unclean.Value) is { } change)
                    changes.Add(change);
            }
        }
        return changes;
    }
}
