using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// Reconciles a KafkaCluster as an ordered chain of idempotent steps: validate → refuse a broker-count change →
/// apply children → observe → roll one outdated broker (only while every other broker is Ready) → status. Safe to
/// re-run at any point.
/// </summary>
public sealed class ClusterReconciler(IKubeClient client, IEventSink events, ModelOptions options, ILogger<ClusterReconciler> logger, TimeProvider? time = null)
{
    public static readonly TimeSpan PollWhileNotReady = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Resync = TimeSpan.FromMinutes(5);

    private readonly ResourceApplier _applier = new(client);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ReconcileResult> ReconcileAsync(KafkaCluster cluster, CancellationToken ct)
    {
        if (cluster.Metadata.DeletionTimestamp is not null)
        {
            // Children carry owner references; the garbage collector removes them.
            return ReconcileResult.Success();
        }
        var names = new ClusterNames(cluster);
        var now = _time.GetUtcNow();
        var originalStatus = cluster.Status is null ? null : OperatorJson.ToNode(cluster.Status).ToJsonString();
        var status = cluster.Status is null ? new KafkaClusterStatus() : OperatorJson.FromNode<KafkaClusterStatus>(OperatorJson.ToNode(cluster.Status));
        status.ObservedGeneration = cluster.Metadata.Generation;
        status.BootstrapServers = names.BootstrapServers;
        status.ClusterId = ClusterNames.ClusterId(cluster);

        // Step 1: validate what admission should already have rejected.
        var forbidden = ClusterModel.ForbiddenConfigKeys(cluster);
        if (forbidden.Count > 0)
        {
            var message = $"spec.config sets operator-owned keys: {string.Join(", ", forbidden)}";
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, "InvalidConfig", message, cluster.Metadata.Generation, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "InvalidConfig", message, cluster.Metadata.Generation, now);
            await events.RecordAsync(cluster, EventTypes.Warning, "InvalidConfig", message, ct).ConfigureAwait(false);
            await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
            return ReconcileResult.Success();
        }

        // Step 2: a running cluster keeps its broker count. Every broker is a voter of the metadata quorum and the
        // brokers cannot reconfigure it yet: new, empty voters could elect a leader among themselves and truncate the
        // existing brokers' metadata log. So neither the StatefulSet nor the voter list in the ConfigMap may follow a
        // changed spec.replicas (admission refuses the change; this covers it being bypassed).
        // The voter list the brokers run with is the one in the ConfigMap; a StatefulSet scaled by hand is drift
        // that the apply below reverts.
        var existing = await client.GetAsync<V1ConfigMap>(names.Namespace, names.ConfigMap, ct).ConfigureAwait(false);
        if (RunningVoterCount(existing) is int running && running != cluster.Spec.Replicas)
        {
            var message = $"spec.replicas is {cluster.Spec.Replicas} but the cluster runs {running} brokers (controller.quorum.voters in ConfigMap {names.ConfigMap}): "
                + $"the brokers' metadata quorum has a fixed voter set, so scaling is not supported yet; set spec.replicas back to {running}";
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, "ScalingNotSupported", message, cluster.Metadata.Generation, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "ScalingNotSupported", message, cluster.Metadata.Generation, now);
            await events.RecordAsync(cluster, EventTypes.Warning, "ScalingNotSupported", message, ct).ConfigureAwait(false);
            await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
            return ReconcileResult.Success(Resync);
        }

        // Step 3: children.
        var desiredObjects = ClusterModel.Build(cluster, options);
        var desiredHash = desiredObjects.Single(o => o.Kind == "StatefulSet").Body["spec"]!["template"]!["metadata"]!["annotations"]![ClusterNames.ConfigHashAnnotation]!.GetValue<string>();
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
                Conditions.Set(status.Conditions, ConditionTypes.Ready, false, "InvalidSpec", message, cluster.Metadata.Generation, now);
                Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "InvalidSpec", message, cluster.Metadata.Generation, now);
                await events.RecordAsync(cluster, EventTypes.Warning, "InvalidSpec", message, ct).ConfigureAwait(false);
                await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
                return ReconcileResult.Success();
            }
            if (action != ApplyAction.Unchanged)
            {
                logger.LogInformation("{Action} {Kind} {Namespace}/{Name}", action, desired.Kind, names.Namespace, desired.Name);
            }
        }

        // Step 4: observe.
        var sts = await client.GetAsync<V1StatefulSet>(names.Namespace, names.StatefulSet, ct).ConfigureAwait(false);
        var stsJson = sts is null ? null : OperatorJson.ToNode(sts);
        var updateRevision = stsJson?["status"]?["updateRevision"]?.GetValue<string>();
        // Until the StatefulSet controller has seen the new template, a deleted pod would come back unchanged.
        var stsCurrent = stsJson is not null && (stsJson["status"]?["observedGeneration"]?.GetValue<long>() ?? 0) >= (stsJson["metadata"]?["generation"]?.GetValue<long>() ?? 0);
        var pods = (await client.ListAsync<V1Pod>(names.Namespace, names.LabelSelector(), ct).ConfigureAwait(false)).Items
            .Select(p => BrokerPod.From(OperatorJson.ToNode(p), names))
            .Where(p => p is not null && p.Ordinal < cluster.Spec.Replicas)
            .Select(p => p!)
            .OrderBy(p => p.Ordinal)
            .ToList();

        // Step 5: roll at most one broker per pass.
        bool IsCurrent(BrokerPod p) => p.ConfigHash == desiredHash && (updateRevision is null || p.Revision == updateRevision);
        var rollMessage = await RollAsync(cluster, pods, IsCurrent, stsCurrent, updateRevision, ct).ConfigureAwait(false);

        // Step 6: status.
        status.Brokers = Enumerable.Range(0, cluster.Spec.Replicas).Select(i =>
        {
            var pod = pods.Find(p => p.Ordinal == i);
            return new BrokerStatus
            {
                Id = i,
                Pod = names.PodName(i),
                Ready = pod?.Ready ?? false,
                Phase = pod is null ? "Missing" : pod.Terminating ? "Terminating" : pod.Phase,
                UpToDate = pod is not null && IsCurrent(pod),
            };
        }).ToList();
        status.ReadyBrokers = status.Brokers.Count(b => b.Ready);
        var allReady = status.ReadyBrokers == cluster.Spec.Replicas;
        var upToDate = status.Brokers.All(b => b.UpToDate);
        var gen = cluster.Metadata.Generation;
        if (allReady && upToDate)
        {
            Conditions.Set(status.Conditions, ConditionTypes.Ready, true, "BrokersReady", $"{status.ReadyBrokers}/{cluster.Spec.Replicas} brokers ready", gen, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, false, "Reconciled", null, gen, now);
        }
        else
        {
            var reason = upToDate ? "BrokersNotReady" : "RollingUpdate";
            var message = rollMessage ?? $"{status.ReadyBrokers}/{cluster.Spec.Replicas} brokers ready";
            Conditions.Set(status.Conditions, ConditionTypes.Ready, false, reason, message, gen, now);
            Conditions.Set(status.Conditions, ConditionTypes.Reconciling, true, reason, message, gen, now);
        }
        await WriteStatusAsync(cluster, status, originalStatus, ct).ConfigureAwait(false);
        return ReconcileResult.Success(allReady && upToDate ? Resync : PollWhileNotReady);
    }

    /// <summary>Deletes one outdated pod when every other broker is Ready; returns a progress message or null.</summary>
    private async Task<string?> RollAsync(KafkaCluster cluster, List<BrokerPod> pods, Func<BrokerPod, bool> isCurrent, bool stsCurrent, string? updateRevision, CancellationToken ct)
    {
        var outdated = pods.Where(p => !isCurrent(p)).ToList();
        if (outdated.Count == 0)
        {
            return null;
        }
        if (!stsCurrent)
        {
            return "rolling update: waiting for the StatefulSet controller to observe the new pod template";
        }
        if (pods.Any(p => p.Terminating))
        {
            return "rolling update: waiting for a terminating broker to come back";
        }
        foreach (var candidate in outdated)
        {
            var othersReady = pods.Count == cluster.Spec.Replicas && pods.Where(p => p != candidate).All(p => p.Ready);
            if (!othersReady)
            {
                continue;
            }
            var message = $"rolling broker {candidate.Ordinal} ({candidate.Name}) to the current configuration{(updateRevision is null ? "" : $" (revision {updateRevision})")}";
            logger.LogInformation("Cluster {Namespace}/{Name}: {Message}", cluster.Metadata.NamespaceProperty, cluster.Metadata.Name, message);
            await client.DeleteAsync<V1Pod>(cluster.Metadata.NamespaceProperty, candidate.Name, ct: ct).ConfigureAwait(false);
            await events.RecordAsync(cluster, EventTypes.Normal, "RollingBroker", message, ct).ConfigureAwait(false);
            return message;
        }
        return $"rolling update: {outdated.Count} broker(s) outdated, waiting for all other brokers to be Ready";
    }

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
