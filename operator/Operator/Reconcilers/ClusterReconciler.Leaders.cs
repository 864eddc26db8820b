using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

public sealed partial class ClusterReconciler
{
    /// <summary>
    /// Once a rebalance's moves are done, leadership follows the plan: a reassignment moves a leader only off a
    /// removed replica, so without this the new brokers of a scale-up would lead nothing until the controller's own
    /// imbalance check (leader.imbalance.check.interval.seconds, 5 minutes by default). Partitions whose preferred
    /// replica is in sync are elected; a failure only leaves that to the controller.
    /// </summary>
    private async Task<int> ElectPreferredLeadersAsync(Pass pass, CancellationToken ct)
    {
        var misled = pass.Kafka!.Partitions
            .Where(p => p.Replicas.Count > 0 && p.Leader != p.Replicas[0] && p.Isr.Contains(p.Replicas[0]))
            .Select(p => (p.Topic, p.Partition))
            .ToList();
        try
        {
            return await admin.ElectPreferredLeadersAsync(pass.Bootstrap, misled, ct).ConfigureAwait(false);
        }
        catch (TopicAdminException e)
        {
            logger.LogWarning("Cluster {Namespace}/{Name}: preferred leader election after the rebalance failed: {Error}", pass.Names.Namespace, pass.Names.Cluster, e.Message);
            return 0;
        }
    }
}
