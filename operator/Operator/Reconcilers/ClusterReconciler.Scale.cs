using k8s.Models;
using KafkaOperator.Balancer;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>Shape (voters, scale up and down) and the reassignments that go with it.</summary>
public sealed partial class ClusterReconciler
{
    public const string RebalanceScaleUp = "ScaleUp";
    public const string RebalanceScaleDown = "ScaleDown";

    /// <summary>
    /// The voter count is the running one (the ConfigMap's controller.quorum.voters) and never changes. The
    /// StatefulSet grows at once; it shrinks only once the brokers being removed hold no replica: until then the
    /// operator drains them (a reassignment planned by the balancer), or refuses with ScaleDownBlocked when a
    /// topic's replication factor would exceed the brokers left.
    /// </summary>
    private async Task<ClusterShape> DecideShapeAsync(Pass pass, int? runningVoters, int? currentBrokers, CancellationToken ct)
    {
        var spec = pass.Cluster.Spec;
        var controllers = runningVoters ?? spec.DefaultControllers;
        if (spec.Controllers is int wanted && runningVoters is int running && wanted != running)
        {
            pass.Blocked ??= ("ControllersChangeNotSupported", $"spec.controllers is {wanted} but the cluster runs {running} metadata quorum voters (controller.quorum.voters in ConfigMap {pass.Names.ConfigMap}); the voter set is fixed at creation, set spec.controllers back to {running}");
        }
        var target = spec.Replicas;
        if (target < controllers)
        {
            pass.Blocked ??= ("ScaleDownBlocked", $"spec.replicas {target} is below the {controllers} controllers: a metadata quorum voter is never removed");
            target = controllers;
        }
        if (currentBrokers is not int current || target >= current)
        {
            if (currentBrokers is int before && target > before && !pass.DryRun)
            {
                var enabled = spec.Rebalance?.Enabled ?? true;
                pass.Status.Rebalance = new RebalanceStatus
                {
                    Kind = RebalanceScaleUp,
                    State = enabled ? "Pending" : "Skipped",
                    Brokers = Enumerable.Range(before, target - before).ToList(),
                    StartedAt = pass.Now,
                    Message = enabled ? "waiting for the new brokers to be Ready" : "spec.rebalance.enabled is false: new brokers receive only new partitions",
                };
            }
            return new ClusterShape(target, controllers);
        }

        var removed = Enumerable.Range(target, current - target).ToList();
        var keep = new ClusterShape(current, controllers);
        if (!pass.Pods.Any(p => removed.Contains(p.Ordinal)))
        {
            // No pod ever ran there (a StatefulSet scaled by hand, a scale-up undone at once): nothing to drain.
            if (pass.Kafka is null || !pass.Kafka.Partitions.Any(p => p.Replicas.Any(removed.Contains)))
            {
                return new ClusterShape(target, controllers);
            }
        }
        if (pass.Kafka is null)
        {
            pass.Progress ??= ("ScalingDown", $"scale-down to {target} brokers: waiting to reach the brokers to drain {string.Join(", ", removed)}");
            return keep;
        }
        var tooWide = pass.Kafka.Partitions.GroupBy(p => p.Topic, StringComparer.Ordinal)
            .Where(g => g.Max(p => p.Replicas.Count) > target).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
        if (tooWide.Count > 0)
        {
            var message = $"cannot scale down to {target} brokers: topic(s) {string.Join(", ", tooWide)} have a replication factor above {target}; lower it first (the StatefulSet keeps {current} brokers)";
            // One Warning when the refusal starts (or changes), not one per pass while it lasts.
            var ready = Conditions.Find(pass.Status.Conditions, ConditionTypes.Ready);
            if (pass.Blocked is null && (ready?.Reason != "ScaleDownBlocked" || ready.Message != message))
            {
                await events.RecordAsync(pass.Cluster, EventTypes.Warning, "ScaleDownBlocked", message, ct).ConfigureAwait(false);
            }
            pass.Blocked ??= ("ScaleDownBlocked", message);
            pass.Plan.Message = message;
            return keep;
        }
        var hosted = pass.Kafka.Partitions.Where(p => p.Replicas.Any(removed.Contains)).ToList();
        if (hosted.Count == 0 && pass.Kafka.Reassigning.Count == 0)
        {
            logger.LogInformation("Cluster {Namespace}/{Name}: brokers {Removed} drained; scaling down to {Target}", pass.Names.Namespace, pass.Names.Cluster, removed, target);
            return new ClusterShape(target, controllers);
        }
        if (pass.Status.Rebalance is { State: "Running" } || pass.Kafka.Reassigning.Count > 0)
        {
            await CheckDrainTimeoutAsync(pass, removed, hosted, current, target, ct).ConfigureAwait(false);
            pass.Progress ??= ("ScalingDown", $"scale-down to {target} brokers: draining {string.Join(", ", removed)} ({hosted.Count} partition(s) still there)");
            return keep;
        }
        await StartRebalanceAsync(pass, RebalanceScaleDown, removed, remove: removed, add: null, ct).ConfigureAwait(false);
        pass.Progress ??= ("ScalingDown", $"scale-down to {target} brokers: draining {string.Join(", ", removed)} ({hosted.Count} partition(s) to move)");
        return keep;
    }

    /// <summary>Plans with the balancer and starts the moves (or, in a dry run, only lists them in the plan).</summary>
    private async Task<bool> StartRebalanceAsync(Pass pass, string kind, List<int> brokers, List<int>? remove, List<int>? add, CancellationToken ct)
    {
        var kafka = pass.Kafka!;
        IReadOnlyDictionary<(string Topic, int Partition), long> sizes;
        try
        {
            sizes = await admin.PartitionSizesAsync(pass.Bootstrap, ct).ConfigureAwait(false);
        }
        catch (TopicAdminException)
        {
            sizes = new Dictionary<(string, int), long>(); // counts still balance; bytes are then unknown
        }
        BalancePlan plan;
        try
        {
            plan = ReplicaBalancer.Plan(new BalanceRequest(
                kafka.Brokers.Where(b => remove?.Contains(b) != true).Select(b => new BalancerBroker(b, null)).ToList(),
                kafka.Partitions.Select(p => new BalancerPartition(p.Topic, p.Partition, p.Replicas, p.Leader, sizes.GetValueOrDefault((p.Topic, p.Partition)))).ToList(),
                remove, add?.Where(kafka.Brokers.Contains).ToList()));
        }
        catch (BalancerException e)
        {
            pass.Blocked ??= (kind == RebalanceScaleDown ? "ScaleDownBlocked" : "RebalanceFailed", $"cannot plan the {kind} rebalance: {e.Message}");
            return false;
        }
        var moves = plan.Moves.Select(m => new ReplicaMove(m.Topic, m.Partition, m.Current, m.Target)).ToList();
        pass.Plan.Moves = moves.Select(m => m.ToString()).ToList();
        if (pass.DryRun)
        {
            return false;
        }
        var status = new RebalanceStatus
        {
            Kind = kind,
            Brokers = brokers,
            StartedAt = pass.Now,
            PartitionsMoved = moves.Count,
            PartitionsLeft = moves.Count,
            BytesLeft = moves.Sum(m => sizes.GetValueOrDefault((m.Topic, m.Partition))),
        };
        if (moves.Count == 0)
        {
            status.State = "Completed";
            status.FinishedAt = pass.Now;
            status.Message = "nothing to move";
            pass.Status.Rebalance = status;
            return true;
        }
        try
        {
            await admin.ReassignAsync(pass.Bootstrap, moves, pass.Cluster.Spec.Rebalance?.ThrottleBytesPerSecond, ct).ConfigureAwait(false);
        }
        catch (TopicAdminException e)
        {
            status.State = "Failed";
            status.FinishedAt = pass.Now;
            status.Message = e.Message;
            pass.Status.Rebalance = status;
            pass.Blocked ??= ("RebalanceFailed", $"the {kind} reassignment was refused: {e.Message}");
            return false;
        }
        status.State = "Running";
        status.Message = $"moving {moves.Count} partition(s)";
        pass.RebalanceStarted = true;
        pass.Status.Rebalance = status;
        var message = $"{kind} rebalance: moving {moves.Count} partition(s) ({plan.ReplicaMoves} replica move(s), {plan.BytesMoved} bytes){(status.Brokers is { Count: > 0 } b ? $" for broker(s) {string.Join(", ", b)}" : "")}";
        logger.LogInformation("Cluster {Namespace}/{Name}: {Message}", pass.Names.Namespace, pass.Names.Cluster, message);
        await events.RecordAsync(pass.Cluster, EventTypes.Normal, "RebalanceStarted", message, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Tracks a running rebalance to its end (throttles removed), and starts the one a scale-up left pending.</summary>
    private async Task RebalanceAsync(Pass pass, CancellationToken ct)
    {
        var rebalance = pass.Status.Rebalance;
        var kafka = pass.Kafka;
        if (rebalance is null || kafka is null)
        {
            return;
        }
        if (rebalance.State == "Running" && !pass.RebalanceStarted)
        {
            if (kafka.Reassigning.Count > 0)
            {
                rebalance.PartitionsLeft = kafka.Reassigning.Count;
                try
                {
                    var sizes = await admin.PartitionSizesAsync(pass.Bootstrap, ct).ConfigureAwait(false);
                    rebalance.BytesLeft = kafka.Partitions.Where(p => kafka.Reassigning.Contains(p.ToString())).Sum(p => sizes.GetValueOrDefault((p.Topic, p.Partition)));
                }
                catch (TopicAdminException)
                {
                }
                rebalance.Message = $"{rebalance.PartitionsLeft} of {rebalance.PartitionsMoved} partition(s) still moving";
                pass.Progress ??= ("Rebalancing", $"{rebalance.Kind} rebalance: {rebalance.Message}");
                return;
            }
            if (!pass.DryRun)
            {
                try
                {
                    await admin.ClearThrottlesAsync(pass.Bootstrap, kafka.Partitions.Select(p => p.Topic).Distinct(StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false);
                }
                catch (TopicAdminException e)
                {
                    pass.Progress ??= ("Rebalancing", $"{rebalance.Kind} rebalance done; removing its throttles failed: {e.Message}");
                    return;
                }
                var elected = await ElectPreferredLeadersAsync(pass, ct).ConfigureAwait(false);
                rebalance.State = "Completed";
                rebalance.FinishedAt = pass.Now;
                rebalance.PartitionsLeft = 0;
                rebalance.BytesLeft = 0;
                rebalance.Message = $"moved {rebalance.PartitionsMoved} partition(s){(elected > 0 ? $", {elected} leader(s) moved to their preferred replica" : "")}";
                await events.RecordAsync(pass.Cluster, EventTypes.Normal, "RebalanceCompleted", $"{rebalance.Kind} rebalance: {rebalance.Message}", ct).ConfigureAwait(false);
            }
            return;
        }
        if (rebalance is { State: "Pending", Kind: RebalanceScaleUp } && pass.Progress is null && pass.Blocked is null)
        {
            var added = rebalance.Brokers ?? [];
            var allUp = pass.Pods.Count == pass.Shape.Brokers && pass.Pods.All(p => p.Ready) && added.All(kafka.Brokers.Contains);
            if (!allUp)
            {
                pass.Progress = ("Rebalancing", $"scale-up: waiting for broker(s) {string.Join(", ", added)} to be Ready and registered before rebalancing");
                return;
            }
            if (await StartRebalanceAsync(pass, RebalanceScaleUp, added, remove: null, add: added, ct).ConfigureAwait(false) && pass.Status.Rebalance?.State == "Running")
            {
                pass.Progress = ("Rebalancing", $"scale-up rebalance: moving {pass.Status.Rebalance.PartitionsMoved} partition(s) to broker(s) {string.Join(", ", added)}");
            }
        }
    }

    /// <summary>With storage.deleteClaim, the claims of brokers removed by a scale-down go once their pods are gone.</summary>
    private async Task DeleteRemovedClaimsAsync(Pass pass, CancellationToken ct)
    {
        if (pass.Cluster.Spec.Storage is not { DeleteClaim: true })
        {
            return;
        }
        var claims = await client.ListAsync<V1PersistentVolumeClaim>(pass.Names.Namespace, pass.Names.LabelSelector(), ct).ConfigureAwait(false);
        var prefix = $"data-{pass.Names.StatefulSet}-";
        foreach (var claim in claims.Items)
        {
            var name = claim.Metadata.Name ?? "";
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(prefix.Length), System.Globalization.CultureInfo.InvariantCulture, out var ordinal)
                && ordinal >= pass.Shape.Brokers && !pass.Pods.Any(p => p.Ordinal == ordinal))
            {
                logger.LogInformation("Cluster {Namespace}/{Name}: deleting claim {Claim} of removed broker {Ordinal}", pass.Names.Namespace, pass.Names.Cluster, name, ordinal);
                await client.DeleteAsync<V1PersistentVolumeClaim>(pass.Names.Namespace, name, ct: ct).ConfigureAwait(false);
            }
        }
    }
}
