using KafkaOperator.Operator.Crds;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>The drain timeout of a scale-down.</summary>
public sealed partial class ClusterReconciler
{
    /// <summary>
    /// A scale-down drain still moving after <see cref="ClusterOperationsOptions.DrainTimeout"/> (a removed broker
    /// down with the only copy of a partition, a throttle too low for the data) blocks the scale-down: Ready=False
    /// ScaleDownBlocked naming the partitions still on the leaving brokers, a Warning event when it turns so. Nothing
    /// is cancelled or forced: the brokers and the reassignment keep running, and should the drain finish after all,
    /// the scale-down goes on (the leaving brokers are empty then); setting spec.replicas back gives it up.
    /// </summary>
    private async Task CheckDrainTimeoutAsync(Pass pass, List<int> removed, List<PartitionState> hosted, int current, int target, CancellationToken ct)
    {
        if (pass.Status.Rebalance is not { Kind: RebalanceScaleDown, State: "Running", StartedAt: { } started }
            || pass.Now - started <= _ops.DrainTimeout || pass.Blocked is not null)
        {
            return;
        }
        var message = $"cannot scale down to {target} brokers: the drain of broker(s) {string.Join(", ", removed)} did not finish within {RollPlanner.Duration(_ops.DrainTimeout)}; "
            + $"partition(s) still on them: {RollPlanner.Name(hosted, 10)}; the reassignment and all {current} brokers are left running";
        var ready = Conditions.Find(pass.Status.Conditions, ConditionTypes.Ready);
        if (ready?.Reason != "ScaleDownBlocked")
        {
            logger.LogWarning("Cluster {Namespace}/{Name}: {Message}", pass.Names.Namespace, pass.Names.Cluster, message);
            await events.RecordAsync(pass.Cluster, EventTypes.Warning, "ScaleDownBlocked", message, ct).ConfigureAwait(false);
        }
        pass.Blocked = ("ScaleDownBlocked", message);
        pass.Plan.Message ??= message;
    }
}
