using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// Replication factor changes: the partitions whose replica count differs from spec.replicationFactor are
/// reassigned (AlterPartitionReassignments, as kafka-reassign-partitions and kafkactl do) to targets that add or
/// remove replicas (<see cref="ReplicationFactorPlanner"/>), and the topic stays Ready=False
/// ReplicationFactorChanging, with its progress, while ListPartitionReassignments shows a move that changes a
/// partition's replica count (told from the brokers' state alone, so a pass that failed after starting the moves
/// loses nothing). The
/// brokers complete a move only once every target replica is in the ISR, and move leadership off a removed replica
/// before it goes.
/// </summary>
public sealed partial class TopicReconciler
{
    public const string ReplicationFactorChanging = "ReplicationFactorChanging";

    /// <summary>How often a topic whose replication factor is changing is looked at again.</summary>
    public TimeSpan ReassignmentPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a topic with under-replicated partitions is looked at again, so its status follows the recovery.</summary>
    public TimeSpan UnderReplicatedRecheck { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Null when the replicas match the spec and no replica count is still changing; else this pass's result.</summary>
    private async Task<ReconcileResult?> ReplicationFactorAsync(KafkaTopic topic, string bootstrap, TopicState state, CancellationToken ct)
    {
        var rf = topic.Spec.ReplicationFactor;
        var wrong = state.Assignment.Where(p => p.Target.Count != rf).ToList();
        // Only moves that change a replica count are a replication factor change: a cluster rebalance moving this
        // topic's partitions is the cluster's business, and the topic stays Ready through it.
        var resizing = state.Assignment.Count(p => p.Adding.Count != p.Removing.Count);
        if (wrong.Count == 0 && resizing == 0)
        {
            if (Conditions.Find(topic.Status?.Conditions, ConditionTypes.Ready)?.Reason == ReplicationFactorChanging)
            {
                await events.RecordAsync(topic, EventTypes.Normal, "ReplicationFactorChanged",
                    $"every partition of {topic.TopicName} has {rf} replicas, all in sync", ct).ConfigureAwait(false);
            }
            return null;
        }
        if (wrong.Count > 0)
        {
            var loads = await admin.BrokerLoadsAsync(bootstrap, ct).ConfigureAwait(false);
            if (rf > loads.Count)
            {
                var why = $"replicationFactor {rf} is larger than the number of registered brokers ({loads.Count}); the topic keeps {state.ReplicationFactor} replicas per partition";
                await ReportOnceAsync(topic, EventTypes.Warning, "InvalidReplicationFactor", why, ct).ConfigureAwait(false);
                await SetStatusAsync(topic, false, "InvalidReplicationFactor", why, state, ct).ConfigureAwait(false);
                return ReconcileResult.Success(ClusterMissingRetry);
            }
            // A partition some other reassignment is moving is planned once that one is over, from where it ends.
            var targets = ReplicationFactorPlanner.Plan(wrong.Where(p => !p.Reassigning), rf, loads);
            if (targets.Count > 0)
            {
                await admin.ReassignPartitionsAsync(bootstrap, topic.TopicName, targets, ct).ConfigureAwait(false);
                var started = $"replicationFactor {string.Join("/", wrong.Select(p => p.Target.Count).Distinct().Order())} → {rf}: reassigning {targets.Count} partition(s)";
                logger.LogInformation("Topic {Namespace}/{Name}: {Message}", topic.Metadata.NamespaceProperty, topic.Metadata.Name, started);
                await events.RecordAsync(topic, EventTypes.Normal, ReplicationFactorChanging, started, ct).ConfigureAwait(false);
                // The description read before the request does not show the moves yet.
                state = state with
                {
                    Assignment = [.. state.Assignment.Select(p => targets.TryGetValue(p.Partition, out var target)
                        ? p with { Replicas = [.. target.Union(p.Replicas)], Adding = [.. target.Except(p.Replicas)], Removing = [.. p.Replicas.Except(target)] }
                        : p)],
                };
            }
        }
        var done = state.Assignment.Count(p => p.Target.Count == rf && !p.Reassigning && p.FullyInSync);
        var stillMoving = state.Assignment.Count(p => p.Reassigning);
        var waiting = wrong.Count(p => p.Reassigning);
        var progress = $"changing replicationFactor to {rf}: {done}/{state.Assignment.Count} partitions done, {stillMoving} moving"
            + (waiting > 0 ? $" ({waiting} by another reassignment, to be changed once it ends)" : "");
        await SetStatusAsync(topic, false, ReplicationFactorChanging, progress, state, ct).ConfigureAwait(false);
        return ReconcileResult.Success(ReassignmentPollInterval);
    }
}
