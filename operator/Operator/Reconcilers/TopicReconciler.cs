using k8s;
using k8s.Models;
using KafkaOperator.Kube;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>
/// Reconciles a KafkaTopic through the Kafka admin API: finalizer → resolve cluster → validate → create, or
/// converge config (reverting drift made outside the operator) → change the replication factor → grow partitions
/// → key skew → status (with the replicas in sync). On deletion the topic is
/// deleted (unless deletionPolicy is Retain) and only then is the finalizer released.
/// </summary>
public sealed partial class TopicReconciler(IKubeClient client, ITopicAdmin admin, IEventSink events, ILogger<TopicReconciler> logger, TimeProvider? time = null)
{
    /// <summary>How often a Ready topic is compared with the brokers again, to catch drift made outside the operator.</summary>
    public TimeSpan DriftCheckInterval { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan ClusterMissingRetry { get; init; } = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ReconcileResult> ReconcileAsync(KafkaTopic topic, CancellationToken ct)
    {
        if (topic.Metadata.DeletionTimestamp is not null)
        {
            return await FinalizeAsync(topic, ct).ConfigureAwait(false);
        }
        if (!(topic.Metadata.Finalizers?.Contains(CrdGroup.TopicFinalizer) ?? false))
        {
            topic.Metadata.Finalizers = [.. topic.Metadata.Finalizers ?? [], CrdGroup.TopicFinalizer];
            topic = await client.ReplaceAsync(topic, ct).ConfigureAwait(false);
        }

        var cluster = await client.GetAsync<KafkaCluster>(topic.Metadata.NamespaceProperty, topic.Spec.Cluster, ct).ConfigureAwait(false);
        if (cluster is null)
        {
            await SetStatusAsync(topic, false, "ClusterNotFound", $"KafkaCluster {topic.Spec.Cluster} not found in namespace {topic.Metadata.NamespaceProperty}", null, ct).ConfigureAwait(false);
            return ReconcileResult.Success(ClusterMissingRetry);
        }
        if (topic.Spec.ReplicationFactor > cluster.Spec.Replicas)
        {
            // Known from the two specs: asking the brokers would only add a wait (or BrokerNotAvailable when they
            // cannot be reached) before the same answer. A change of the topic's spec comes back through the watch;
            // the cluster's spec.replicas may grow, which only a later look notices.
            var why = $"replicationFactor {topic.Spec.ReplicationFactor} is larger than KafkaCluster {cluster.Metadata.Name}'s {cluster.Spec.Replicas} brokers (spec.replicas); nothing was created or changed";
            await ReportOnceAsync(topic, EventTypes.Warning, "InvalidReplicationFactor", why, ct).ConfigureAwait(false);
            await SetStatusAsync(topic, false, "InvalidReplicationFactor", why, null, ct).ConfigureAwait(false);
            return ReconcileResult.Success(ClusterMissingRetry);
        }
        var bootstrap = Bootstrap(cluster);
        var name = topic.TopicName;
        var insyncWarning = MinInsyncReplicasCheck.Warning(topic, cluster);

        try
        {
            var state = await admin.DescribeTopicAsync(bootstrap, name, ct).ConfigureAwait(false);
            if (state is null)
            {
                var brokers = await admin.CountBrokersAsync(bootstrap, ct).ConfigureAwait(false);
                if (topic.Spec.ReplicationFactor > brokers)
                {
                    var why = $"replicationFactor {topic.Spec.ReplicationFactor} is larger than the number of registered brokers ({brokers}); the topic was not created";
                    await ReportOnceAsync(topic, EventTypes.Warning, "InvalidReplicationFactor", why, ct).ConfigureAwait(false);
                    await SetStatusAsync(topic, false, "InvalidReplicationFactor", why, null, ct).ConfigureAwait(false);
                    // The cluster may grow; look again later without hammering it.
                    return ReconcileResult.Success(ClusterMissingRetry);
                }
                var id = await admin.CreateTopicAsync(bootstrap, name, topic.Spec.Partitions, topic.Spec.ReplicationFactor, Desired(topic), ct).ConfigureAwait(false);
                await events.RecordAsync(topic, EventTypes.Normal, "Created", $"created topic {name} with {topic.Spec.Partitions} partitions", ct).ConfigureAwait(false);
                await WarnMinInsyncAsync(topic, insyncWarning, ct).ConfigureAwait(false);
                await SetStatusAsync(topic, true, "Created", insyncWarning, new TopicState(name, id, topic.Spec.Partitions, topic.Spec.ReplicationFactor, Desired(topic)), ct).ConfigureAwait(false);
                // Soon again: the new partitions' replicas and ISR are in status from the next pass on.
                return ReconcileResult.Success(ReassignmentPollInterval);
            }

            if (topic.Spec.Partitions < state.Partitions)
            {
                await SetStatusAsync(topic, false, "PartitionDecreaseNotSupported",
                    $"spec.partitions {topic.Spec.Partitions} is below the topic's {state.Partitions} partitions; Kafka cannot remove partitions, nothing was changed", state, ct).ConfigureAwait(false);
                return ReconcileResult.Success();
            }
            var message = await ConvergeConfigAsync(topic, bootstrap, state, ct).ConfigureAwait(false);
            // New partitions take the replica count of the existing ones, so they are added once that is settled.
            if (await ReplicationFactorAsync(topic, bootstrap, state, ct).ConfigureAwait(false) is { } changing)
            {
                return changing;
            }
            var partitions = state.Partitions;
            if (topic.Spec.Partitions > state.Partitions)
            {
                await admin.CreatePartitionsAsync(bootstrap, name, topic.Spec.Partitions, ct).ConfigureAwait(false);
                await events.RecordAsync(topic, EventTypes.Normal, "PartitionsAdded", $"partitions {state.Partitions} → {topic.Spec.Partitions}", ct).ConfigureAwait(false);
                partitions = topic.Spec.Partitions;
            }
            await WarnMinInsyncAsync(topic, insyncWarning, ct).ConfigureAwait(false);
            message = string.Join("; ", new[] { message, insyncWarning }.Where(m => m is not null));
            var keySkew = await KeySkewConditionAsync(topic, bootstrap, ct).ConfigureAwait(false);
            await SetStatusAsync(topic, true, "Ready", message.Length == 0 ? null : message, state with { Partitions = partitions }, ct, keySkew).ConfigureAwait(false);
            var grown = partitions > state.Partitions;
            return ReconcileResult.Success(grown || state.Assignment.Any(p => !p.FullyInSync) ? UnderReplicatedRecheck : DriftCheckInterval);
        }
        catch (TopicAdminException e)
        {
            logger.LogWarning("Topic {Namespace}/{Name}: {Error}", topic.Metadata.NamespaceProperty, topic.Metadata.Name, e.Message);
            await SetStatusAsync(topic, false, e.ErrorCode ?? "KafkaError", e.Message, null, ct).ConfigureAwait(false);
            return ReconcileResult.Failure(e.Message);
        }
    }

    private async Task WarnMinInsyncAsync(KafkaTopic topic, string? warning, CancellationToken ct)
    {
        if (warning is null)
        {
            return;
        }
        await ReportOnceAsync(topic, EventTypes.Warning, "MinInsyncReplicasAboveReplicationFactor", warning, ct).ConfigureAwait(false);
    }

    /// <summary>Records an event unless the Ready condition already says the same for this generation, so a
    /// problem that persists across passes is announced once, not on every resync.</summary>
    private async Task ReportOnceAsync(KafkaTopic topic, string type, string reason, string message, CancellationToken ct)
    {
        var ready = Conditions.Find(topic.Status?.Conditions, ConditionTypes.Ready);
        if (ready is not null && ready.ObservedGeneration == topic.Metadata.Generation && (ready.Message?.Contains(message, StringComparison.Ordinal) ?? false))
        {
            return;
        }
        if (type == EventTypes.Warning)
        {
            logger.LogWarning("Topic {Namespace}/{Name}: {Message}", topic.Metadata.NamespaceProperty, topic.Metadata.Name, message);
        }
        await events.RecordAsync(topic, type, reason, message, ct).ConfigureAwait(false);
    }

    public static string Bootstrap(KafkaCluster cluster) => cluster.Status?.BootstrapServers ?? new ClusterNames(cluster).BootstrapServers;

    private static Dictionary<string, string> Desired(KafkaTopic topic) => new(topic.Spec.Config ?? [], StringComparer.Ordinal);

    /// <summary>
    /// Makes the topic's explicit config equal to spec.config. A difference while the spec is unchanged since the
    /// last successful pass was made outside the operator: it is reported (event + message), then reverted.
    /// </summary>
    private async Task<string?> ConvergeConfigAsync(KafkaTopic topic, string bootstrap, TopicState state, CancellationToken ct)
    {
        var desired = Desired(topic);
        var set = desired.Where(kv => !state.Config.TryGetValue(kv.Key, out var v) || v != kv.Value).ToDictionary(StringComparer.Ordinal);
        var delete = state.Config.Keys.Where(k => !desired.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (set.Count == 0 && delete.Count == 0)
        {
            return null;
        }
        var specUnchanged = topic.Status?.ObservedGeneration == topic.Metadata.Generation && Conditions.IsTrue(topic.Status?.Conditions, ConditionTypes.Ready);
        await admin.AlterTopicConfigAsync(bootstrap, topic.TopicName, set, delete, ct).ConfigureAwait(false);
        var keys = string.Join(", ", set.Keys.Concat(delete).Order(StringComparer.Ordinal));
        if (!specUnchanged)
        {
            await events.RecordAsync(topic, EventTypes.Normal, "ConfigUpdated", $"updated config keys: {keys}", ct).ConfigureAwait(false);
            return null;
        }
        var message = $"reverted config changed outside the operator: {keys}";
        logger.LogWarning("Topic {Namespace}/{Name}: {Message}", topic.Metadata.NamespaceProperty, topic.Metadata.Name, message);
        await events.RecordAsync(topic, EventTypes.Warning, "ConfigDrift", message, ct).ConfigureAwait(false);
        return message;
    }

    private async Task<ReconcileResult> FinalizeAsync(KafkaTopic topic, CancellationToken ct)
    {
        if (!(topic.Metadata.Finalizers?.Contains(CrdGroup.TopicFinalizer) ?? false))
        {
            return ReconcileResult.Success();
        }
        var cluster = await client.GetAsync<KafkaCluster>(topic.Metadata.NamespaceProperty, topic.Spec.Cluster, ct).ConfigureAwait(false);
        if (cluster is null || cluster.Metadata.DeletionTimestamp is not null)
        {
            // Nothing can delete the topic any more; blocking the resource forever helps no one.
            await events.RecordAsync(topic, EventTypes.Warning, "ClusterNotFound",
                $"KafkaCluster {topic.Spec.Cluster} is gone; releasing the finalizer without deleting topic {topic.TopicName}", ct).ConfigureAwait(false);
        }
        else if (topic.Spec.DeletionPolicy == DeletionPolicy.Delete)
        {
            try
            {
                await admin.DeleteTopicAsync(Bootstrap(cluster), topic.TopicName, ct).ConfigureAwait(false);
            }
            catch (TopicAdminException e)
            {
                await SetStatusAsync(topic, false, "DeleteFailed", e.Message, null, ct).ConfigureAwait(false);
                return ReconcileResult.Failure(e.Message);
            }
            await events.RecordAsync(topic, EventTypes.Normal, "Deleted", $"deleted topic {topic.TopicName}", ct).ConfigureAwait(false);
        }
        else
        {
            await events.RecordAsync(topic, EventTypes.Normal, "Retained", $"deletionPolicy Retain: topic {topic.TopicName} kept in Kafka", ct).ConfigureAwait(false);
        }
        // The topic is gone (or deliberately kept): the finalizer must come off even if shutdown begins now.
        await RemoveFinalizerAsync(topic, CancellationToken.None).ConfigureAwait(false);
        return ReconcileResult.Success();
    }

    private async Task RemoveFinalizerAsync(KafkaTopic topic, CancellationToken ct)
    {
        var current = topic;
        for (var attempt = 0; ; attempt++)
        {
            current.Metadata.Finalizers = current.Metadata.Finalizers?.Where(f => f != CrdGroup.TopicFinalizer).ToList();
            try
            {
                await client.ReplaceAsync(current, ct).ConfigureAwait(false);
                return;
            }
            catch (KubeApiException e) when (e.StatusCode == 409 && attempt < 5)
            {
                var fresh = await client.GetAsync<KafkaTopic>(topic.Metadata.NamespaceProperty, topic.Metadata.Name!, ct).ConfigureAwait(false);
                if (fresh is null)
                {
                    return;
                }
                current = fresh;
            }
            catch (KubeApiException e) when (e.StatusCode == 404)
            {
                return;
            }
        }
    }

    private async Task SetStatusAsync(KafkaTopic topic, bool ready, string reason, string? message, TopicState? state, CancellationToken ct, SkewVerdict? keySkew = null)
    {
        var original = topic.Status is null ? null : OperatorJson.ToNode(topic.Status).ToJsonString();
        var status = topic.Status is null ? new KafkaTopicStatus() : OperatorJson.FromNode<KafkaTopicStatus>(OperatorJson.ToNode(topic.Status));
        var gen = topic.Metadata.Generation;
        Conditions.Set(status.Conditions, ConditionTypes.Ready, ready, reason, message, gen, _time.GetUtcNow());
        if (keySkew is { } skew)
        {
            Conditions.Set(status.Conditions, ConditionTypes.KeySkew, skew.Skewed, skew.Reason, skew.Message, gen, _time.GetUtcNow());
        }
        status.ObservedGeneration = gen;
        status.Message = message;
        if (state is not null)
        {
            status.TopicId = state.TopicId ?? status.TopicId;
            status.Partitions = state.Partitions;
            if (state.Assignment.Count > 0)
            {
                var under = state.Assignment.Where(p => !p.FullyInSync).Select(p => p.Partition).ToList();
                status.ReplicationFactor = state.Assignment.Max(p => p.Target.Count);
                status.InSyncPartitions = $"{state.Assignment.Count - under.Count}/{state.Assignment.Count}";
                status.UnderReplicatedPartitions = under.Count == 0 ? null : under;
            }
        }
        if (OperatorJson.ToNode(status).ToJsonString() == original)
        {
            return;
        }
        var written = await StatusWriter.WriteAsync(client, topic, t => t.Status = status, ct).ConfigureAwait(false);
        topic.Metadata.ResourceVersion = written.Metadata.ResourceVersion;
        topic.Status = written.Status;
    }
}
