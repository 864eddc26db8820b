using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>The election an ElectLeaders request asks for (its ElectionType field).</summary>
public enum ElectionType : sbyte
{
    /// <summary>Make the preferred replica (the first one) leader, if it is alive and in sync.</summary>
    Preferred = 0,

    /// <summary>Elect a leader for a partition that has none: an in-sync replica if one is alive, otherwise the first live replica.</summary>
    Unclean = 1,
}

/// <summary>The outcome of one requested election: an error for the caller, and the change to commit when there is one.</summary>
public readonly record struct ElectionDecision(ErrorCode Error, string? Message, PartitionChangeRecord? Change)
{
    public static ElectionDecision Elect(PartitionChangeRecord change) => new(ErrorCode.None, null, change);

    public static ElectionDecision Fail(ErrorCode error, string message) => new(error, message, null);
}

/// <summary>
/// Elections that an operator asks for (ElectLeaders) and that the leader rebalancer makes, decided by the active
/// controller as KRaft's ReplicationControlManager.electLeader does. A replica may lead when it is in the ISR and its
/// broker is registered, unfenced and not shutting down.
/// PREFERRED: the first replica becomes leader; ELECTION_NOT_NEEDED when it leads already, and
/// PREFERRED_LEADER_NOT_AVAILABLE when it may not lead (the current leader stays).
/// UNCLEAN: only for a partition without a leader (ELECTION_NOT_NEEDED otherwise): the first in-sync replica that may
/// lead, else the first live replica with itself as the only ISR member (records acknowledged by the others may be
/// lost), else ELIGIBLE_LEADERS_NOT_AVAILABLE.
/// </summary>
public static class LeaderElection
{
    public static ElectionDecision Decide(MetadataImage image, TopicMetadata topic, int partition, ElectionType type)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(topic);
        if ((uint)partition >= (uint)topic.Partitions.Length)
            return ElectionDecision.Fail(ErrorCode.UnknownTopicOrPartition, $"No such partition as {topic.Name}-{partition}");
        var p = topic.Partitions[partition];
        return type == ElectionType.Unclean ? DecideUnclean(image, topic, p) : DecidePreferred(image, topic, p);
    }

    /// <summary>Whether the preferred replica may take over now (in sync, alive); the rebalancer's filter.</summary>
    public static bool PreferredCanLead(MetadataImage image, PartitionMetadata p)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(p);
        return p.Replicas.Length > 0 && CanLead(image, p, p.Replicas[0]);
    }

    private static ElectionDecision DecidePreferred(MetadataImage image, TopicMetadata topic, PartitionMetadata p)
    {
        if (p.Replicas.Length == 0)
            return ElectionDecision.Fail(ErrorCode.PreferredLeaderNotAvailable, $"Partition {topic.Name}-{p.Partition} has no replicas");
        var preferred = p.Replicas[0];
        if (p.Leader == preferred)
            return ElectionDecision.Fail(ErrorCode.ElectionNotNeeded, $"Leader election not needed for {topic.Name}-{p.Partition}: its preferred replica {preferred} leads it");
        if (!CanLead(image, p, preferred))
        {
            var why = Array.IndexOf(p.Isr, preferred) < 0 ? "is not in the ISR" : "is not alive (fenced, shutting down or not registered)";
            return ElectionDecision.Fail(ErrorCode.PreferredLeaderNotAvailable,
                $"The preferred leader {preferred} of {topic.Name}-{p.Partition} {why}; ISR [{string.Join(',', p.Isr)}]");
        }
        return ElectionDecision.Elect(new PartitionChangeRecord(topic.TopicId, p.Partition, p.PartitionEpoch, preferred, null));
    }

    private static ElectionDecision DecideUnclean(MetadataImage image, TopicMetadata topic, PartitionMetadata p)
    {
        if (p.Leader >= 0)
            return ElectionDecision.Fail(ErrorCode.ElectionNotNeeded, $"Leader election not needed for {topic.Name}-{p.Partition}: broker {p.Leader} leads it");
        foreach (var r in p.Replicas)
        {
            if (CanLead(image, p, r))
                return ElectionDecision.Elect(new PartitionChangeRecord(topic.TopicId, p.Partition, p.PartitionEpoch, r, null));
        }
        foreach (var r in p.Replicas)
        {
            if (image.IsEligibleReplica(r))
                return ElectionDecision.Elect(new PartitionChangeRecord(topic.TopicId, p.Partition, p.PartitionEpoch, r, [r], Unclean: true));
        }
        return ElectionDecision.Fail(ErrorCode.EligibleLeadersNotAvailable,
            $"No replica of {topic.Name}-{p.Partition} (replicas [{string.Join(',', p.Replicas)}]) is alive");
    }

    private static bool CanLead(MetadataImage image, PartitionMetadata p, int broker) =>
        Array.IndexOf(p.Isr, broker) >= 0 && image.IsEligibleReplica(broker);
}
