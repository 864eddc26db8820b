using System.Text.Json.Nodes;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>Operator settings of the cluster operations.</summary>
public sealed class ClusterOperationsOptions
{
    /// <summary>A restarted broker not Ready within this stops the roll (RollStalled); `--broker-ready-timeout`.</summary>
    public TimeSpan BrokerReadyTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A scale-down drain still moving after this blocks the scale-down (ScaleDownBlocked); `--drain-timeout`.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Where the operator reaches a cluster's brokers; the bootstrap Service by default (tests point it at processes).</summary>
    public Func<KafkaCluster, string>? Bootstrap { get; init; }
}

/// <summary>
/// Reconciles a KafkaCluster as an ordered chain of idempotent steps: validate → read the brokers (Kafka admin API)
/// → shape (voters fixed, scale-down only once drained) → apply children → dynamic config → roll one broker →
/// rebalance → status. Each pass does at most one disruptive thing and returns; the next pass continues from
/// what it observes, so it is safe to re-run at any point. With the dry-run annotation nothing is written but the
/// plan in status.
/// </summary>
public sealed partial class ClusterReconciler(IKubeClient client, IEventSink events, ModelOptions options, ILogger<ClusterReconciler> logger,
    IClusterAdmin admin, ClusterOperationsOptions? operations = null, TimeProvider? time = null)
{
    public static readonly TimeSpan PollWhileNotReady = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Resync = TimeSpan.FromMinutes(5);

    private readonly ResourceApplier _applier = new(client);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ClusterOperationsOptions _ops = operations ?? new ClusterOperationsOptions();

    /// <summary>What one pass observed and decided, shared by the steps.</summary>
    private sealed class Pass
    {
        public required KafkaCluster Cluster { get; init; }
        public required ClusterNames Names { get; init; }
        public required KafkaClusterStatus Status { get; init; }
        public required DateTimeOffset Now { get; init; }
        public required bool DryRun { get; init; }
        public required string Bootstrap { get; init; }
        public ClusterState? Kafka { get; set; }
        public string? KafkaError { get; set; }
        public ClusterShape Shape { get; set; } = null!;
        public List<BrokerPod> Pods { get; set; } = [];
        public PlanStatus Plan { get; } = new();

        /// <summary>This pass started a reassignment: the brokers it read before do not show it yet.</summary>
        public bool RebalanceStarted { get; set; }
        public long? Generation => Cluster.Metadata.Generation;

        /// <summary>A blocking problem: the Ready condition's reason and message (the first one wins).</summary>
        public (string Reason, string Message)? Blocked { get; set; }

        /// <summary>Progress that keeps the cluster Reconciling (a roll, a drain, a rebalance).</summary>
        public (string Reason, string Message)? Progress { get; set; }
    }

    public async Task<ReconcileResult> ReconcileAsync(KafkaCluster cluster, CancellationToken ct)
    {
        if (cluster.Metadata.DeletionTimestamp is not null)
        {
            // Children carry owner references; the garbage collector removes them.
            return ReconcileResult.Success();
        }
        var names = new ClusterNames(cluster);
        var originalStatus = cluster.Status is null ? null : OperatorJson.ToNode(cluster.Status).ToJsonString();
        var status = cluster.Status is null ? new KafkaClusterStatus() : OperatorJson.FromNode<KafkaClusterStatus>(OperatorJson.ToNode(cluster.Status));
        status.ObservedGeneration = cluster.Metadata.Generation;
        status.BootstrapServers = names.BootstrapServers;
        status.ClusterId = ClusterNames.ClusterId(cluster);
        var pass = new Pass
        {
            Cluster = cluster,
            Names = names,
            Status = status,
            Now = _time.GetUtcNow(),
            DryRun = cluster.Metadata.Annotations?.TryGetValue(ClusterNames.DryRunAnnotation, out var dry) == true && dry == "true",
            Bootstrap = _ops.Bootstrap?.Invoke(cluster) ?? names.BootstrapServers,
        };

        // Step 1: validate what admission should already have rejected.
        var forbidden = ClusterModel.ForbiddenConfigKeys(cluster);
        if (forbidden.Count > 0)
        {
            var message = $"spec.config sets operator-owned keys: {string.Join(", ", forbidden)}";
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, "InvalidConfig", message, pass.Generation, pass.Now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "InvalidConfig", message, pass.Generation, pass.Now);
            await events.RecordAsync(cluster, EventTypes.Warning, "InvalidConfig", message, ct).ConfigureAwait(false);
            await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
            return ReconcileResult.Success();
        }

        // Step 2: observe the pods and, when any broker is up, the brokers themselves.
        var existingSts = await client.GetAsync<V1StatefulSet>(names.Namespace, names.StatefulSet, ct).ConfigureAwait(false);
        pass.Pods = await ListPodsAsync(names, ct).ConfigureAwait(false);
        if (pass.Pods.Any(p => p.Ready))
        {
            try
            {
                pass.Kafka = await admin.DescribeClusterAsync(pass.Bootstrap, ct).ConfigureAwait(false);
            }
            catch (TopicAdminException e)
            {
                pass.KafkaError = e.Message;
                logger.LogInformation("Cluster {Namespace}/{Name}: brokers not reachable: {Error}", names.Namespace, names.Cluster, e.Message);
            }
        }

        // Step 3: the shape: voters never change, and a scale-down lowers the StatefulSet only once drained.
        var configMap = await client.GetAsync<V1ConfigMap>(names.Namespace, names.ConfigMap, ct).ConfigureAwait(false);
        pass.Shape = await DecideShapeAsync(pass, RunningVoterCount(configMap), existingSts?.Spec?.Replicas, ct).ConfigureAwait(false);
        status.Controllers = pass.Shape.Controllers;
        pass.Plan.Brokers = pass.Shape.Brokers;

        // Step 4: children.
        var desiredObjects = ClusterModel.Build(cluster, options, pass.Shape);
        var desiredHash = desiredObjects.Single(o => o.Kind == "StatefulSet").Body["spec"]!["template"]!["metadata"]!["annotations"]![ClusterNames.ConfigHashAnnotation]!.GetValue<string>();
        if (!pass.DryRun)
        {
            foreach (var desired in desiredObjects)
            {
                ApplyAction action;
                try
                {
                    action = await _applier.ApplyAsync(desired, names.Namespace, ct).ConfigureAwait(false);
                }
                catch (KubeApiException e) when (e.StatusCode == 422)
                {
                    // The API refuses the change (e.g. storage of an existing StatefulSet is immutable): retrying the
                    // same spec cannot help, so report it and wait for the next spec change.
                    var message = $"{desired.Kind} {desired.Name} rejected by the API server: {e.Message}";
                    Conditions.Set(status.Conditions, ConditionTypes.Ready, false, "InvalidSpec", message, pass.Generation, pass.Now);
                    Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "InvalidSpec", message, pass.Generation, pass.Now);
                    await events.RecordAsync(cluster, EventTypes.Warning, "InvalidSpec", message, ct).ConfigureAwait(false);
                    await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
                    return ReconcileResult.Success();
                }
                if (action != ApplyAction.Unchanged)
                {
                    logger.LogInformation("{Action} {Kind} {Namespace}/{Name}", action, desired.Kind, names.Namespace, desired.Name);
                }
            }
            await DeleteRemovedClaimsAsync(pass, ct).ConfigureAwait(false);
        }

        // Step 5: dynamic configuration, without a restart.
        await ApplyDynamicConfigAsync(pass, ct).ConfigureAwait(false);

        // Step 6: roll at most one broker per pass.
        var sts = pass.DryRun ? existingSts : await client.GetAsync<V1StatefulSet>(names.Namespace, names.StatefulSet, ct).ConfigureAwait(false);
        var stsJson = sts is null ? null : OperatorJson.ToNode(sts);
        var updateRevision = pass.DryRun ? null : stsJson?["status"]?["updateRevision"]?.GetValue<string>();
        // Until the StatefulSet controller has seen the new template, a deleted pod would come back unchanged.
        var stsCurrent = stsJson is not null && (stsJson["status"]?["observedGeneration"]?.GetValue<long>() ?? 0) >= (stsJson["metadata"]?["generation"]?.GetValue<long>() ?? 0);
        bool IsCurrent(BrokerPod p) => p.ConfigHash == desiredHash && (updateRevision is null || p.Revision == updateRevision);
        pass.Pods = pass.Pods.Where(p => p.Ordinal < pass.Shape.Brokers).ToList();
        await RollAsync(pass, IsCurrent, stsCurrent, ct).ConfigureAwait(false);

        // Step 7: rebalance onto new brokers (after a scale-up), once nothing else is moving.
        await RebalanceAsync(pass, ct).ConfigureAwait(false);

        // Step 8: status.
        return await FinishAsync(pass, IsCurrent, originalStatus, ct).ConfigureAwait(false);
    }

    private async Task<List<BrokerPod>> ListPodsAsync(ClusterNames names, CancellationToken ct) =>
        (await client.ListAsync<V1Pod>(names.Namespace, names.LabelSelector(), ct).ConfigureAwait(false)).Items
            .Select(p => BrokerPod.From(OperatorJson.ToNode(p), names))
            .Where(p => p is not null)
            .Select(p => p!)
            .OrderBy(p => p.Ordinal)
            .ToList();

    private async Task WriteStatusAsync(KafkaCluster cluster, KafkaClusterStatus status, string? originalStatus, CancellationToken ct)
    {
        // A steady-state pass writes nothing: an unchanged status would only wake every watcher.
        if (OperatorJson.ToNode(status).ToJsonString() == originalStatus)
        {
            return;
        }
        await StatusWriter.WriteAsync(client, cluster, c => c.Status = status, ct).ConfigureAwait(false);
    }

    /// <summary>What the reconciler needs from a broker pod, read from its JSON.</summary>
    internal sealed record BrokerPod(string Name, int Ordinal, bool Ready, bool Terminating, string Phase, string? Revision, string? ConfigHash)
    {
        public static BrokerPod? From(JsonObject pod, ClusterNames names)
        {
            var name = pod["metadata"]?["name"]?.GetValue<string>();
            if (name is null || !name.StartsWith(names.StatefulSet + "-", StringComparison.Ordinal)
                || !int.TryParse(name.AsSpan(names.StatefulSet.Length + 1), System.Globalization.CultureInfo.InvariantCulture, out var ordinal))
            {
                return null;
            }
            var terminating = pod["metadata"]?["deletionTimestamp"] is not null;
            var ready = !terminating && pod["status"]?["conditions"] is JsonArray conditions
                && conditions.Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");
            return new BrokerPod(name, ordinal, ready, terminating,
                pod["status"]?["phase"]?.GetValue<string>() ?? "Pending",
                pod["metadata"]?["labels"]?["controller-revision-hash"]?.GetValue<string>(),
                pod["metadata"]?["annotations"]?[ClusterNames.ConfigHashAnnotation]?.GetValue<string>());
        }
    }

    /// <summary>How many voters the rendered server.properties lists, or null when there is no such ConfigMap yet.</summary>
    private static int? RunningVoterCount(V1ConfigMap? configMap)
    {
        if (configMap?.Data.ValueOf("server.properties") is not { } properties)
            return null;
        foreach (var line in properties.Split('\n'))
        {
            if (line.StartsWith("controller.quorum.voters=", StringComparison.Ordinal))
                return line["controller.quorum.voters=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries).Length;
        }
        return null;
    }
}
