using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// What the controller makes of one partition of an AlterPartition request. Error set: refused, nothing written.
/// Otherwise <see cref="Change"/> is the record to commit (null when the ISR is already the requested one) and
/// <see cref="Result"/> the partition as it is once that record has applied, which is what the leader is answered.
/// </summary>
public sealed record AlterPartitionDecision(int PartitionIndex, ErrorCode Error, PartitionChangeRecord? Change = null, PartitionMetadata? Result = null);

/// <summary>One request topic's decisions, named as the request named it (by name up to v1, by id from v2).</summary>
public sealed record AlterPartitionTopicDecision(string TopicName, Guid TopicId, IReadOnlyList<AlterPartitionDecision> Partitions);

/// <summary>The decisions for a whole request; a top-level error (STALE_BROKER_EPOCH) refuses every partition.</summary>
public sealed record AlterPartitionPlan(ErrorCode Error, IReadOnlyList<AlterPartitionTopicDecision> Topics);

/// <summary>
/// The active controller's checks of an AlterPartition request against one metadata image, in the order of Kafka's
/// ReplicationControlManager.alterPartition / validateAlterPartitionData, so a request that is wrong in several ways
/// gets the error a Kafka controller would give. Pure: the caller commits the changes and reports the results.
/// Partitions never have an unclean-recovery state here (no RECOVERING leader), so LeaderRecoveryState must be 0.
/// </summary>
public static class AlterPartitionValidator
{
    /// <summary>LeaderRecoveryState RECOVERED; the only state a partition has here.</summary>
    private const sbyte Recovered = 0;

    public static AlterPartitionPlan Validate(MetadataImage image, AlterPartitionRequest request, short version)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(request);
        // A broker that restarted since it learned its leaderships must not change ISRs with what it knew then.
        if (!image.Brokers.TryGetValue(request.BrokerId, out var requester) || requester.Epoch != request.BrokerEpoch)
            return new AlterPartitionPlan(ErrorCode.StaleBrokerEpoch, []);
        var topics = new List<AlterPartitionTopicDecision>(request.Topics.Count);
        foreach (var topicData in request.Topics)
        {
            var topic = version > 1 ? image.Topic(topicData.TopicId) : image.Topic(topicData.TopicName);
            var decisions = new List<AlterPartitionDecision>(topicData.Partitions.Count);
            foreach (var partitionData in topicData.Partitions)
            {
                decisions.Add(topic is null
                    ? new AlterPartitionDecision(partitionData.PartitionIndex, version > 1 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition)
                    : Decide(image, request.BrokerId, topic, partitionData, version));
            }
            topics.Add(new AlterPartitionTopicDecision(topicData.TopicName, topicData.TopicId, decisions));
        }
        return new AlterPartitionPlan(ErrorCode.None, topics);
    }

    private static AlterPartitionDecision Decide(MetadataImage image, int brokerId, TopicMetadata topic, AlterPartitionRequest.PartitionData data, short version)
    {
        var index = data.PartitionIndex;
        if ((uint)index >= (uint)topic.Partitions.Length)
            return new AlterPartitionDecision(index, ErrorCode.UnknownTopicOrPartition);
        var p = topic.Partitions[index];
        var error = Check(image, brokerId, p, data, version, out var newIsr);
        if (error != ErrorCode.None)
            return new AlterPartitionDecision(index, error);
        // As Kafka's PartitionChangeBuilder: the same ISR in the same order needs no record.
        if (newIsr.AsSpan().SequenceEqual(p.Isr))
            return new AlterPartitionDecision(index, ErrorCode.None, null, p);
        var change = new PartitionChangeRecord(topic.TopicId, index, p.PartitionEpoch, Leader: null, newIsr);
        return new AlterPartitionDecision(index, ErrorCode.None, change, p with { Isr = newIsr, PartitionEpoch = p.PartitionEpoch + 1 });
    }

    private static ErrorCode Check(MetadataImage image, int brokerId, PartitionMetadata p, AlterPartitionRequest.PartitionData data, short version, out int[] newIsr)
    {
        var states = version < 3
            ? data.NewIsr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = -1 }).ToList()
            : data.NewIsrWithEpochs;
        newIsr = [.. states.Select(s => s.BrokerId)];
        // Epochs ahead of this image: the leader learned of a change this node has not applied, so it is most likely
        // no longer the active controller; NOT_CONTROLLER sends the leader looking for the current one.
        if (data.LeaderEpoch > p.LeaderEpoch || data.PartitionEpoch > p.PartitionEpoch)
            return ErrorCode.NotController;
        if (data.LeaderEpoch < p.LeaderEpoch)
            return ErrorCode.FencedLeaderEpoch;
        if (brokerId != p.Leader)
            return ErrorCode.InvalidRequest;
        if (data.PartitionEpoch < p.PartitionEpoch)
            return ErrorCode.InvalidUpdateVersion;
        if (!IsValidIsr(p.Replicas, newIsr) || Array.IndexOf(newIsr, p.Leader) < 0)
            return ErrorCode.InvalidRequest;
        // No partition here is recovering from an unclean election, so a leader cannot claim it is (nor send a
        // state Kafka does not define).
        if (data.LeaderRecoveryState != Recovered)
            return ErrorCode.InvalidRequest;
        foreach (var state in states)
        {
            if (!IsEligible(image, state))
                return version > 1 ? ErrorCode.IneligibleReplica : ErrorCode.OperationNotAttempted;
        }
        return ErrorCode.None;
    }

    /// <summary>Replicas of the partition, none twice (an empty ISR passes here and fails the leader check).</summary>
    private static bool IsValidIsr(int[] replicas, int[] isr)
    {
        var seen = new HashSet<int>();
        foreach (var id in isr)
        {
            if (!seen.Add(id) || Array.IndexOf(replicas, id) < 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// Registered, neither fenced nor shutting down, and (v3) at the broker epoch the leader saw it fetch with, so a
    /// replica that restarted and lost its log is not put back in sync on the strength of its previous life.
    /// An epoch of -1 (v0–2) skips the epoch check.
    /// </summary>
    private static bool IsEligible(MetadataImage image, AlterPartitionRequest.BrokerState state) =>
        image.IsEligibleReplica(state.BrokerId)
        && (state.BrokerEpoch == -1 || state.BrokerEpoch == image.Brokers[state.BrokerId].Epoch);
}
