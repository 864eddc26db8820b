using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>What the controller makes of one partition of an AlterPartitionReassignments request: an error, or the record to commit (null: nothing to change).</summary>
public readonly record struct ReassignmentDecision(ErrorCode Error, string? Message, PartitionChangeRecord? Change)
{
    public static ReassignmentDecision Fail(ErrorCode error, string message) => new(error, message, null);
}

/// <summary>
/// Partition reassignment as KRaft's ReplicationControlManager does it (KIP-455). Starting one writes the union of
/// the current and target replicas (target first, then the replicas being removed) with AddingReplicas and
/// RemovingReplicas; the ISR is left alone, so the new replicas join it the usual way (AlterPartition from the leader
/// once they have caught up). Once every target replica is in the ISR the reassignment completes: replicas = target,
/// the removed ones leave the ISR, and leadership moves to an in-sync target replica if the leader is being removed.
/// A new target for a partition that is being reassigned starts from the original replicas (the ongoing one is
/// reverted first); cancelling reverts: the replicas being added go, the original replicas stay. Kafka checks neither
/// min.insync.replicas nor internal topics here, and neither does this. Pure: callers commit the records.
/// </summary>
public static class ReassignmentRules
{
    /// <summary>A replica list the state machine accepts: non-empty, no duplicates, adding and removing disjoint subsets of it.</summary>
    public static string? CheckReplicas(int[] replicas, int[]? adding, int[]? removing)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        if (replicas.Length == 0)
            return "empty replica list";
        if (replicas.Distinct().Count() != replicas.Length)
            return $"duplicate replicas in [{string.Join(',', replicas)}]";
        foreach (var r in (adding ?? []).Concat(removing ?? []))
        {
            if (Array.IndexOf(replicas, r) < 0)
                return $"replica {r} being added or removed is not in [{string.Join(',', replicas)}]";
        }
        if (adding is not null && removing is not null && adding.Intersect(removing).Any())
            return "a replica is both added and removed";
        return null;
    }

    /// <summary>
    /// Decides one partition's request: <paramref name="target"/> null cancels. <paramref name="isRegistered"/> says
    /// which broker ids exist, <paramref name="isLive"/> which may lead.
    /// </summary>
    public static ReassignmentDecision Decide(TopicMetadata topic, int partition, IReadOnlyList<int>? target, bool allowReplicationFactorChange,
        bool uncleanAllowed, Func<int, bool> isRegistered, Func<int, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(isRegistered);
        ArgumentNullException.ThrowIfNull(isLive);
        if ((uint)partition >= (uint)topic.Partitions.Length)
            return ReassignmentDecision.Fail(ErrorCode.UnknownTopicOrPartition, $"Unable to find partition {topic.Name}:{partition}.");
        var p = topic.Partitions[partition];
        if (target is null)
            return Cancel(topic, p, uncleanAllowed, isLive);
        if (target.Count == 0)
            return ReassignmentDecision.Fail(ErrorCode.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.");
        var seen = new HashSet<int>();
        foreach (var id in target)
        {
            if (!seen.Add(id))
                return ReassignmentDecision.Fail(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes the broker {id} more than once.");
            if (!isRegistered(id))
                return ReassignmentDecision.Fail(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {id}, but no such broker is registered.");
        }
        var (current, isr, unclean) = Original(p);
        if (!allowReplicationFactorChange && target.Count != current.Length)
            return ReassignmentDecision.Fail(ErrorCode.InvalidReplicationFactor, $"The replication factor is changed from {current.Length} to {target.Count}");
        var removing = current.Where(r => !seen.Contains(r)).ToArray();
        var adding = target.Where(r => Array.IndexOf(current, r) < 0).ToArray();
        int[] replicas = [.. target, .. removing];
        // A new target for a partition being reassigned keeps the in-sync replicas it still has (an added replica
        // that caught up stays in sync); only when none is left does it fall back to the reverted ISR.
        var kept = p.Isr.Where(r => Array.IndexOf(replicas, r) >= 0).ToArray();
        if (kept.Length > 0)
            (isr, unclean) = (kept, false);
        if (unclean && !uncleanAllowed)
            return RevertNeedsUnclean(topic, p);
        var leader = KeepOrElect(p.Leader, replicas, isr, isLive);
        if (Complete(replicas, isr, adding, removing, leader, isLive) is { } done)
            return new ReassignmentDecision(ErrorCode.None, null, Record(topic.TopicId, p, done.Leader, done.Isr, done.Replicas, [], [], unclean));
        return new ReassignmentDecision(ErrorCode.None, null, Record(topic.TopicId, p, leader, isr, replicas, adding, removing, unclean));
    }

    private static ReassignmentDecision Cancel(TopicMetadata topic, PartitionMetadata p, bool uncleanAllowed, Func<int, bool> isLive)
    {
        if (!p.IsReassigning)
            return ReassignmentDecision.Fail(ErrorCode.NoReassignmentInProgress, $"Unable to cancel reassignment of {topic.Name}:{p.Partition}: no reassignment is in progress.");
        var (replicas, isr, unclean) = Original(p);
        if (unclean && !uncleanAllowed)
            return RevertNeedsUnclean(topic, p);
        var leader = KeepOrElect(p.Leader, replicas, isr, isLive);
        return new ReassignmentDecision(ErrorCode.None, null, Record(topic.TopicId, p, leader, isr, replicas, [], [], unclean));
    }

    private static ReassignmentDecision RevertNeedsUnclean(TopicMetadata topic, PartitionMetadata p) =>
        ReassignmentDecision.Fail(ErrorCode.InvalidReplicaAssignment,
            $"Unable to revert partition assignment for {topic.Name}:{p.Partition} because it would require an unclean leader election.");

    /// <summary>
    /// The partition without its ongoing reassignment: the replicas being added leave the replicas and the ISR. When
    /// only added replicas are in sync the first original replica becomes the ISR, which is unclean (as in Kafka).
    /// </summary>
    private static (int[] Replicas, int[] Isr, bool Unclean) Original(PartitionMetadata p)
    {
        if (!p.IsReassigning)
            return (p.Replicas, p.Isr, false);
        var adding = p.AddingReplicas ?? [];
        var replicas = p.Replicas.Where(r => Array.IndexOf(adding, r) < 0).ToArray();
        var isr = p.Isr.Where(r => Array.IndexOf(adding, r) < 0).ToArray();
        return isr.Length > 0 ? (replicas, isr, false) : (replicas, [replicas[0]], true);
    }

    /// <summary>The leader stays while it is a live, in-sync replica; otherwise the first live in-sync replica in replica order leads (-1: none).</summary>
    private static int KeepOrElect(int leader, int[] replicas, int[] isr, Func<int, bool> isLive)
    {
        if (leader >= 0 && Array.IndexOf(replicas, leader) >= 0 && Array.IndexOf(isr, leader) >= 0 && isLive(leader))
            return leader;
        foreach (var r in replicas)
        {
            if (Array.IndexOf(isr, r) >= 0 && isLive(r))
                return r;
        }
        return -1;
    }

    private sealed record Completed(int[] Replicas, int[] Isr, int Leader);

    /// <summary>Kafka's maybeCompleteReassignment: every target replica in the ISR, and an ISR left once the removed replicas go.</summary>
    private static Completed? Complete(int[] replicas, int[] isr, int[] adding, int[] removing, int leader, Func<int, bool> isLive)
    {
        if (adding.Length == 0 && removing.Length == 0)
            return null;
        var newIsr = isr.Where(r => Array.IndexOf(removing, r) < 0).ToArray();
        var newReplicas = replicas.Where(r => Array.IndexOf(removing, r) < 0).ToArray();
        if (newIsr.Length == 0 || newReplicas.Length == 0 || !newReplicas.All(r => Array.IndexOf(newIsr, r) >= 0))
            return null;
        return new Completed(newReplicas, newIsr, KeepOrElect(leader, newReplicas, newIsr, isLive));
    }

    /// <summary>The record that completes <paramref name="p"/>'s reassignment, or null while it cannot complete yet.</summary>
    public static PartitionChangeRecord? TryComplete(Guid topicId, PartitionMetadata p, Func<int, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.IsReassigning)
            return null;
        if (Complete(p.Replicas, p.Isr, p.AddingReplicas ?? [], p.RemovingReplicas ?? [], p.Leader, isLive) is not { } done)
            return null;
        return Record(topicId, p, done.Leader, done.Isr, done.Replicas, [], [], unclean: false);
    }

    /// <summary>Every reassignment of the image that can complete now.</summary>
    public static List<PartitionChangeRecord> CompleteAll(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new List<PartitionChangeRecord>();
        bool IsLive(int id) => image.Brokers.TryGetValue(id, out var b) && !b.Fenced;
        foreach (var topic in image.TopicsById.Values)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.IsReassigning && TryComplete(topic.TopicId, p, IsLive) is { } change)
                    result.Add(change);
            }
        }
        return result;
    }

    private static PartitionChangeRecord? Record(Guid topicId, PartitionMetadata p, int leader, int[] isr, int[] replicas, int[] adding, int[] removing, bool unclean)
    {
        var sameReplicas = replicas.AsSpan().SequenceEqual(p.Replicas)
            && adding.AsSpan().SequenceEqual(p.AddingReplicas ?? [])
            && removing.AsSpan().SequenceEqual(p.RemovingReplicas ?? []);
        var sameIsr = isr.AsSpan().SequenceEqual(p.Isr);
        if (sameReplicas && sameIsr && leader == p.Leader)
            return null;
        return new PartitionChangeRecord(topicId, p.Partition, p.PartitionEpoch, leader == p.Leader ? null : leader, sameIsr ? null : isr, unclean,
            replicas, adding, removing);
    }
}
