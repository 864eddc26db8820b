using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Queue;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>The status step: brokers, Kafka health, conditions and the dry-run plan.</summary>
public sealed partial class ClusterReconciler
{
    public const string RebalancingCondition = "Rebalancing";

    private async Task<ReconcileResult> FinishAsync(Pass pass, Func<BrokerPod, bool> isCurrent, string? originalStatus, CancellationToken ct)
    {
        var status = pass.Status;
        var kafka = pass.Kafka;
        var brokers = pass.Shape.Brokers;
        status.Brokers = Enumerable.Range(0, brokers).Select(i =>
        {
            var pod = pass.Pods.Find(p => p.Ordinal == i);
            return new BrokerStatus
            {
                Id = i,
                Pod = pass.Names.PodName(i),
                Ready = pod?.Ready ?? false,
                Phase = pod is null ? "Missing" : pod.Terminating ? "Terminating" : pod.Phase,
                UpToDate = pod is not null && isCurrent(pod),
                Roles = i < pass.Shape.Controllers ? "broker,controller" : "broker",
                Leaders = kafka?.Partitions.Count(p => p.Leader == i),
                Replicas = kafka?.Partitions.Count(p => p.Replicas.Contains(i)),
            };
        }).ToList();
        status.ReadyBrokers = status.Brokers.Count(b => b.Ready);
        if (kafka is not null)
        {
            status.Kafka = new KafkaHealthStatus
            {
                ActiveController = kafka.ActiveController,
                QuorumLeader = kafka.QuorumLeader < 0 ? null : kafka.QuorumLeader,
                Voters = kafka.Voters.Count == 0 ? null : kafka.Voters.Select(v => new VoterStatus { Id = v.Id, Lag = v.Lag }).ToList(),
                Partitions = kafka.Partitions.Count,
                UnderReplicatedPartitions = kafka.Partitions.Count(p => p.UnderReplicated),
                UnderMinIsrPartitions = kafka.Partitions.Count(p => p.UnderMinIsr),
                OfflinePartitions = kafka.Partitions.Count(p => p.Offline),
                PreferredLeaderImbalance = kafka.Partitions.Count(p => p.Replicas.Count > 0 && p.Leader != p.Replicas[0]),
            };
        }
        var gen = pass.Generation;
        var now = pass.Now;
        if (pass.DryRun)
        {
            pass.Plan.Message ??= pass.Blocked?.Message ?? "dry run: nothing is applied while the dry-run annotation is \"true\"";
            status.Plan = pass.Plan;
        }
        else
        {
            status.Plan = null;
        }
        var rebalancing = status.Rebalance is { State: "Running" or "Pending" };
        if (status.Rebalance is not null)
        {
            Conditions.Set(status.Conditions, RebalancingCondition, rebalancing, status.Rebalance.State ?? "Unknown", status.Rebalance.Message, gen, now);
        }
        var allReady = status.ReadyBrokers == brokers && brokers == pass.Cluster.Spec.Replicas;
        var upToDate = status.Brokers.All(b => b.UpToDate);
        var done = allReady && upToDate && pass.Blocked is null && pass.Progress is null && status.Roll is null;
        if (pass.Blocked is { } blocked)
        {
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, blocked.Reason, blocked.Message, gen, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, pass.Progress is not null, pass.Progress?.Reason ?? blocked.Reason, pass.Progress?.Message ?? blocked.Message, gen, now);
        }
        else if (done)
        {
            Conditions.Set(status.Conditions, ConditionTypes.Ready, true, "BrokersReady", $"{status.ReadyBrokers}/{brokers} brokers ready", gen, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "Reconciled", null, gen, now);
        }
        else
        {
            var reason = pass.Progress?.Reason ?? (upToDate ? "BrokersNotReady" : "RollingUpdate");
            var message = pass.Progress?.Message ?? $"{status.ReadyBrokers}/{brokers} brokers ready";
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, reason, message, gen, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, true, reason, message, gen, now);
        }
        await WriteStatusAsync(pass.Cluster, status, originalStatus, ct).ConfigureAwait(false);
        return ReconcileResult.Success(done && !rebalancing ? Resync : PollWhileNotReady);
    }
}
