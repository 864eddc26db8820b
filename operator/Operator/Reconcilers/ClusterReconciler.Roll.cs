using k8s.Models;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using Microsoft.Extensions.Logging;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>The rolling restart and the dynamic configuration steps.</summary>
public sealed partial class ClusterReconciler
{
    private async Task RollAsync(Pass pass, Func<BrokerPod, bool> isCurrent, bool templateObserved, CancellationToken ct)
    {
        var pods = pass.Pods.Select(p => new RollPod(p.Ordinal, p.Name, p.Ready, p.Terminating, isCurrent(p))).ToList();
        var decision = RollPlanner.Decide(pods, pass.Shape.Brokers, pass.Shape.Controllers, pass.Kafka, pass.Status.Roll, templateObserved, pass.Now, _ops.BrokerReadyTimeout);
        pass.Plan.Roll = decision.Order.Select(pass.Names.PodName).ToList();
        if (pass.DryRun)
        {
            return;
        }
        var wasStalled = Conditions.Find(pass.Status.Conditions, ConditionTypes.Ready)?.Reason == "RollStalled";
        pass.Status.Roll = decision.State;
        if (decision.Delete is { } victim)
        {
            logger.LogInformation("Cluster {Namespace}/{Name}: {Message}", pass.Names.Namespace, pass.Names.Cluster, decision.Message);
            await client.DeleteAsync<V1Pod>(pass.Names.Namespace, victim.Name, ct: ct).ConfigureAwait(false);
            await events.RecordAsync(pass.Cluster, EventTypes.Normal, "RollingBroker", decision.Message!, ct).ConfigureAwait(false);
        }
        if (decision.Reason == "RollStalled")
        {
            if (!wasStalled)
            {
                await events.RecordAsync(pass.Cluster, EventTypes.Warning, "RollStalled", decision.Message!, ct).ConfigureAwait(false);
            }
            pass.Blocked ??= (decision.Reason, decision.Message!);
        }
        else if (decision.Reason is not null)
        {
            pass.Progress ??= (decision.Reason, decision.Message!);
        }
    }

    /// <summary>
    /// Keys the brokers take without a restart go to the cluster-wide default broker config with
    /// IncrementalAlterConfigs; the operator owns that entity's dynamic keys, so one removed from spec.config is
    /// deleted there (back to server.properties or Kafka's default).
    /// </summary>
    private async Task ApplyDynamicConfigAsync(Pass pass, CancellationToken ct)
    {
        var config = pass.Cluster.Spec.Config ?? [];
        var desired = DynamicConfig.DynamicPart(config);
        pass.Status.Config = config.Count == 0 ? null : new ConfigApplyStatus
        {
            Dynamic = [.. desired.Keys],
            Restart = [.. config.Keys.Where(k => !DynamicConfig.IsDynamic(k)).Order(StringComparer.Ordinal)],
        };
        if (pass.Kafka is null)
        {
            return;
        }
        IReadOnlyDictionary<string, string> current;
        try
        {
            current = await admin.DescribeClusterDefaultsAsync(pass.Bootstrap, ct).ConfigureAwait(false);
        }
        catch (TopicAdminException e)
        {
            pass.Progress ??= ("DynamicConfigPending", $"cannot read the brokers' dynamic configuration: {e.Message}");
            return;
        }
        var set = desired.Where(kv => current.GetValueOrDefault(kv.Key) != kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var delete = current.Keys.Where(k => DynamicConfig.IsDynamic(k) && !desired.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        pass.Plan.DynamicConfig = [.. set.Select(kv => $"{kv.Key}={kv.Value}"), .. delete.Select(k => $"-{k}")];
        if (pass.DryRun || (set.Count == 0 && delete.Count == 0))
        {
            return;
        }
        try
        {
            await admin.AlterClusterDefaultsAsync(pass.Bootstrap, set, delete, ct).ConfigureAwait(false);
        }
        catch (TopicAdminException e)
        {
            var failed = $"applying {string.Join(", ", pass.Plan.DynamicConfig)} dynamically failed: {e.Message}";
            await events.RecordAsync(pass.Cluster, EventTypes.Warning, "DynamicConfigFailed", failed, ct).ConfigureAwait(false);
            pass.Blocked ??= ("DynamicConfigFailed", failed);
            return;
        }
        var message = $"applied without restart: {string.Join(", ", pass.Plan.DynamicConfig)}";
        logger.LogInformation("Cluster {Namespace}/{Name}: {Message}", pass.Names.Namespace, pass.Names.Cluster, message);
        await events.RecordAsync(pass.Cluster, EventTypes.Normal, "DynamicConfigApplied", message, ct).ConfigureAwait(false);
    }
}
