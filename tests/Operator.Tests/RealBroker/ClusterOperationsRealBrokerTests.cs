using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Producer;
using KafkaOperator.Operator.Crds;
using KafkaOperator.Operator.Models;
using KafkaOperator.Operator.Tests.Support;
using Xunit.Abstractions;

namespace KafkaOperator.Operator.Tests.RealBroker;

/// <summary>
/// The cluster operations the fake admin of Reconcilers/ClusterOperationsTests stands in for, against real brokers
/// (one shared cluster, <see cref="ClusterOperationsFixture"/>): a dynamic key applied without a restart, a dry-run
/// plan followed by a roll that waits while a partition is under-replicated, and a scale-down refused, planned and
/// then drained as planned. Each test leaves the cluster Ready for the next; the scale-down, which removes a broker
/// for good, runs last.
/// </summary>
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class ClusterOperationsRealBrokerTests(ClusterOperationsFixture cluster, ITestOutputHelper output) : IClassFixture<ClusterOperationsFixture>
{
    private const string DynamicApplied = "DynamicConfigApplied";
    private const string RollingBroker = "RollingBroker";

    private static bool Ready(KafkaCluster c) => Conditions.IsTrue(c.Status?.Conditions, ConditionTypes.Ready);

    private List<(string Object, string Type, string Reason, string Message)> EventsSince(int start, string reason) =>
        cluster.Events.Events.Skip(start).Where(e => e.Reason == reason).ToList();

    [Fact, Step(1)]
    public async Task A_dynamic_key_is_applied_to_every_broker_without_restarting_any()
    {
        var since = cluster.Events.Events.Count;
        var pids = cluster.Kubelet.Pids();
        var restarts = cluster.Kubelet.Restarts.ToArray();
        var hash = (await cluster.StatefulSetAsync()).Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation];

        await cluster.EditAsync(c =>
        {
            c.Spec.Config!["log.retention.ms"] = "7200000";
            c.Spec.Config["message.max.bytes"] = "2097152";
        });
        var c = await cluster.ReconcileUntilAsync(c => Ready(c) && EventsSince(since, DynamicApplied).Count > 0, "the dynamic keys applied", TimeSpan.FromSeconds(60));

        Assert.Equal("applied without restart: log.retention.ms=7200000, message.max.bytes=2097152", Assert.Single(EventsSince(since, DynamicApplied)).Message);
        // Every broker answers for itself (the admin client sends a broker's resource to that broker): the new value,
        // from the cluster-wide dynamic default the operator wrote.
        var described = await cluster.Admin.DescribeConfigsAsync(Enumerable.Range(0, 3).Select(ConfigResource.Broker));
        foreach (var broker in described)
        {
            Assert.Null(broker.Error);
            Assert.Equal(("7200000", ConfigSource.DynamicDefaultBrokerConfig), (broker["log.retention.ms"]?.Value, broker["log.retention.ms"]!.Source));
            Assert.Equal(("2097152", ConfigSource.DynamicDefaultBrokerConfig), (broker["message.max.bytes"]?.Value, broker["message.max.bytes"]!.Source));
        }
        Assert.Equal(pids, cluster.Kubelet.Pids());
        Assert.Equal(restarts, cluster.Kubelet.Restarts);
        Assert.Empty(EventsSince(since, RollingBroker));
        Assert.Equal(hash, (await cluster.StatefulSetAsync()).Spec!.Template.Metadata!.Annotations![ClusterNames.ConfigHashAnnotation]);
        Assert.Equal(["log.retention.ms", "message.max.bytes", "min.insync.replicas"], c.Status!.Config!.Dynamic);
        Assert.Empty(c.Status.Config.Restart);
        Assert.All(c.Status.Brokers!, b => Assert.True(b.UpToDate));
        Assert.Null(c.Status.Roll);

        await cluster.ReconcileAsync();
        Assert.Single(EventsSince(since, DynamicApplied)); // converged: nothing applied twice
    }

    [Fact, Step(2)]
    public async Task A_dry_run_plan_then_a_roll_that_waits_while_a_partition_is_under_replicated_does_what_the_plan_said()
    {
        const string topic = "held";
        var admin = cluster.Admin;
        Assert.Null((await admin.CreateTopicAsync(topic, 3, 3)).Error);
        var follower = cluster.Kubelet.Broker(2);
        try
        {
            // Kafka's replication throttle: broker 2 fetches these partitions at 1 byte/s while it is out of their
            // ISR (an in-sync follower is never throttled). Once out, it stays out, as a slow follower would.
            await AlterAsync(new()
            {
                [ConfigResource.Topic(topic)] = [new ConfigAlteration("follower.replication.throttled.replicas", "*")],
                [ConfigResource.Broker(2)] = [new ConfigAlteration("follower.replication.throttled.rate", "1")],
            });
            // A clean stop takes broker 2 out of every ISR (its controlled shutdown); meanwhile each partition gets
            // 2 MiB it lacks, more than one follower fetch brings (replica.fetch.max.bytes, 1 MiB).
            await follower.StopAsync();
            await Poll.UntilAsync(async () => (await admin.DescribeTopicAsync(topic)).Partitions.All(p => !p.Isr.Contains(2)), "broker 2 out of every ISR", TimeSpan.FromSeconds(30));
            await WriteAsync(topic, 3, 2 << 20);
            await follower.RestartAsync();
            var c = await cluster.ReconcileUntilAsync(c => Ready(c) && c.Status!.Brokers!.All(b => b.Ready), "broker 2 back and Ready", TimeSpan.FromSeconds(90));
            var isr = (await admin.DescribeTopicAsync(topic)).Partitions;
            Assert.All(isr, p => Assert.Equal(new[] { 0, 1 }, p.Isr.Order()));
            Assert.True(c.Status!.Kafka!.UnderReplicatedPartitions >= 3, $"{c.Status.Kafka.UnderReplicatedPartitions} under-replicated partitions");

            // The dry run: a restart, and a dynamic key, planned and published, nothing done.
            var since = cluster.Events.Events.Count;
            var pids = cluster.Kubelet.Pids();
            var restarts = cluster.Kubelet.Restarts.ToArray();
            var stsVersion = (await cluster.StatefulSetAsync()).Metadata.ResourceVersion;
            await cluster.EditAsync(c =>
            {
                c.Metadata.Annotations ??= new Dictionary<string, string>();
                c.Metadata.Annotations[ClusterNames.DryRunAnnotation] = "true";
                c.Metadata.Annotations[ClusterNames.RestartAnnotation] = topic;
                c.Spec.Config!["log.retention.bytes"] = "1073741824";
            });
            await cluster.ReconcileAsync();
            c = await cluster.ReconcileAsync();
            var plan = c.Status!.Plan!;
            output.WriteLine($"plan: roll {string.Join(", ", plan.Roll)}; dynamic {string.Join(", ", plan.DynamicConfig)}; moves {plan.Moves.Count}; {plan.Message}");
            // Broker-only nodes first by ordinal, the active controller (0, the only voter) last.
            Assert.Equal(["demo-broker-1", "demo-broker-2", "demo-broker-0"], plan.Roll);
            Assert.Equal($"demo-broker-{(await admin.DescribeQuorumAsync()).LeaderId}", plan.Roll[^1]);
            Assert.Equal(["log.retention.bytes=1073741824"], plan.DynamicConfig);
            Assert.Empty(plan.Moves);
            Assert.Equal(3, plan.Brokers);
            Assert.Equal(stsVersion, (await cluster.StatefulSetAsync()).Metadata.ResourceVersion);
            Assert.NotEqual(ConfigSource.DynamicDefaultBrokerConfig, (await admin.DescribeConfigsAsync([ConfigResource.Broker(0)]))[0]["log.retention.bytes"]?.Source);
            Assert.Equal(pids, cluster.Kubelet.Pids());
            Assert.Empty(EventsSince(since, DynamicApplied));
            Assert.Empty(EventsSince(since, RollingBroker));

            // Applied: the dynamic key at once, but no broker restarts while held-* would drop below min.insync.replicas.
            await cluster.EditAsync(c => c.Metadata.Annotations!.Remove(ClusterNames.DryRunAnnotation));
            c = await cluster.ReconcileUntilAsync(c => ClusterOperationsFixture.ReadyCondition(c)?.Reason == "WaitingForMinIsr", "the roll waiting on the ISR", TimeSpan.FromSeconds(60));
            Assert.Null(c.Status!.Plan);
            Assert.Equal($"applied without restart: {string.Join(", ", plan.DynamicConfig)}", Assert.Single(EventsSince(since, DynamicApplied)).Message);
            Assert.All(await admin.DescribeConfigsAsync(Enumerable.Range(0, 3).Select(ConfigResource.Broker)),
                b => Assert.Equal("1073741824", b["log.retention.bytes"]?.Value));
            for (var pass = 0; pass < 5; pass++)
            {
                var waiting = ClusterOperationsFixture.ReadyCondition(c)!;
                output.WriteLine($"pass {pass}: {waiting.Reason}: {waiting.Message}");
                Assert.Equal("WaitingForMinIsr", waiting.Reason);
                Assert.All(isr, p => Assert.Contains($"{topic}-{p.Partition}", waiting.Message, StringComparison.Ordinal));
                Assert.Equal(waiting.Message, c.Status!.Roll!.Waiting);
                Assert.Equal([1, 2, 0], c.Status.Roll.Pending);
                Assert.Null(c.Status.Roll.Broker);
                await Task.Delay(200);
                c = await cluster.ReconcileAsync();
            }
            Assert.Equal(pids, cluster.Kubelet.Pids());
            Assert.Equal(restarts, cluster.Kubelet.Restarts);
            Assert.Empty(EventsSince(since, RollingBroker));

            // The throttle lifted, broker 2 catches up and rejoins every ISR, and the roll goes on in the plan's order.
            await RemoveThrottleAsync(topic);
            c = await cluster.ReconcileUntilAsync(c => EventsSince(since, RollingBroker).Count == 3 && c.Status?.Roll is null && Ready(c),
                "the roll finished", TimeSpan.FromMinutes(4));
            var rolled = EventsSince(since, RollingBroker).Select(e => e.Message[(e.Message.IndexOf('(', StringComparison.Ordinal) + 1)..e.Message.IndexOf(')', StringComparison.Ordinal)]).ToList();
            output.WriteLine("rolled: " + string.Join(", ", rolled));
            Assert.Equal(plan.Roll, rolled);
            Assert.Equal(restarts.Select(r => r + 1), cluster.Kubelet.Restarts);
            Assert.All((await admin.DescribeTopicAsync(topic)).Partitions, p => Assert.Equal(3, p.Isr.Count));
            Assert.All(c.Status!.Brokers!, b => Assert.True(b.UpToDate));
        }
        finally
        {
            // Whatever happened, the next test gets three brokers in sync (failures here are only reported, so that
            // they do not hide the test's own).
            try
            {
                if (!follower.IsRunning)
                {
                    await follower.RestartAsync();
                }
                await RemoveThrottleAsync(topic);
                await admin.DeleteTopicAsync(topic);
            }
            catch (Exception e)
            {
                output.WriteLine($"clean-up failed: {e}");
            }
        }
    }

    [Fact, Step(3)]
    public async Task A_scale_down_is_refused_while_an_rf_3_topic_would_not_fit_then_planned_in_a_dry_run_and_drained_as_planned()
    {
        var admin = cluster.Admin;
        Assert.Null((await admin.CreateTopicAsync("wide", 2, 3)).Error);
        Assert.Null((await admin.CreateTopicAsync("narrow", 6, 2)).Error);
        var narrow = await cluster.AssignmentAsync("narrow");
        var onBroker2 = (await admin.DescribeTopicAsync("narrow")).Partitions.Where(p => p.Replicas.Contains(2)).Select(p => $"narrow-{p.Partition}").ToList();
        Assert.NotEmpty(onBroker2);
        var since = cluster.Events.Events.Count;
        var pids = cluster.Kubelet.Pids();
        var pods = await cluster.PodNamesAsync();
        var claims = await cluster.ClaimNamesAsync();

        // Refused: wide's three replicas cannot fit on two brokers. Nothing is moved, stopped or deleted.
        await cluster.EditAsync(c => c.Spec.Replicas = 2);
        KafkaCluster c = null!;
        for (var pass = 0; pass < 3; pass++)
        {
            c = await cluster.ReconcileAsync();
            var blocked = ClusterOperationsFixture.ReadyCondition(c)!;
            Assert.Equal("ScaleDownBlocked", blocked.Reason);
            Assert.Contains("wide", blocked.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("narrow", blocked.Message, StringComparison.Ordinal);
        }
        output.WriteLine(ClusterOperationsFixture.ReadyCondition(c)!.Message);
        Assert.Single(EventsSince(since, "ScaleDownBlocked"));
        Assert.Equal(3, (await cluster.StatefulSetAsync()).Spec!.Replicas);
        Assert.Equal(3, c.Status!.Brokers!.Count);
        Assert.Equal(pods, await cluster.PodNamesAsync());
        Assert.Equal(claims, await cluster.ClaimNamesAsync());
        Assert.Equal(pids, cluster.Kubelet.Pids());
        Assert.Empty(cluster.Kubelet.Removed);
        Assert.Empty(await admin.ListPartitionReassignmentsAsync());
        Assert.All((await admin.DescribeTopicAsync("wide")).Partitions, p => Assert.Equal(3, p.Replicas.Count));
        Assert.Equal(narrow, await cluster.AssignmentAsync("narrow"));

        // The dry run shows the refusal while wide is there, and the drain once it is gone; it moves nothing.
        await cluster.EditAsync(c => (c.Metadata.Annotations ??= new Dictionary<string, string>())[ClusterNames.DryRunAnnotation] = "true");
        c = await cluster.ReconcileAsync();
        Assert.Contains("wide", c.Status!.Plan!.Message, StringComparison.Ordinal);
        Assert.Empty(c.Status.Plan.Moves);
        Assert.Null((await admin.DeleteTopicAsync("wide")).Error);
        c = await cluster.ReconcileUntilAsync(c => c.Status?.Plan?.Moves.Count > 0, "a drain in the plan", TimeSpan.FromSeconds(30));
        var plan = c.Status!.Plan!;
        output.WriteLine("plan: " + string.Join("; ", plan.Moves));
        var targets = plan.Moves.Select(m => m.Split(": ")).ToDictionary(m => m[0], m => m[1].Split(" -> ")[1], StringComparer.Ordinal);
        Assert.All(onBroker2, p => Assert.True(targets.ContainsKey(p), $"{p} is on broker 2 but not in the plan"));
        Assert.All(targets.Values, t => Assert.DoesNotContain("2", t, StringComparison.Ordinal));
        Assert.Empty(await admin.ListPartitionReassignmentsAsync());
        Assert.Equal(narrow, await cluster.AssignmentAsync("narrow"));
        Assert.Equal(3, (await cluster.StatefulSetAsync()).Spec!.Replicas);

        // Applied: exactly the planned moves, then broker 2's pod and claim go.
        await cluster.EditAsync(c => c.Metadata.Annotations!.Remove(ClusterNames.DryRunAnnotation));
        c = await cluster.ReconcileUntilAsync(c => !cluster.Kubelet.Removed.IsEmpty && Ready(c) && c.Status?.Brokers?.Count == 2,
            "the drain done and broker 2 removed", TimeSpan.FromMinutes(3));
        var after = await cluster.AssignmentAsync("narrow");
        Assert.All(narrow.Keys, p => Assert.Equal(targets.GetValueOrDefault(p, narrow[p]), after[p]));
        Assert.Equal(("ScaleDown", "Completed", plan.Moves.Count), (c.Status!.Rebalance!.Kind, c.Status.Rebalance.State, c.Status.Rebalance.PartitionsMoved));
        Assert.Equal([2], cluster.Kubelet.Removed);
        Assert.Equal(2, (await cluster.StatefulSetAsync()).Spec!.Replicas);
        Assert.Equal(pids.Where(p => p.Key < 2).ToDictionary(), cluster.Kubelet.Pids());
        await Poll.UntilAsync(async () =>
        {
            await cluster.ReconcileAsync();
            return !(await cluster.ClaimNamesAsync()).Contains("data-demo-broker-2");
        }, "broker 2's claim deleted", TimeSpan.FromSeconds(30));
        Assert.Equal(["data-demo-broker-0", "data-demo-broker-1"], await cluster.ClaimNamesAsync());
    }

    private async Task AlterAsync(Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>> alterations)
    {
        foreach (var result in await cluster.Admin.IncrementalAlterConfigsAsync(alterations))
        {
            Assert.Null(result.Error);
        }
    }

    private Task RemoveThrottleAsync(string topic) => AlterAsync(new()
    {
        [ConfigResource.Topic(topic)] = [new ConfigAlteration("follower.replication.throttled.replicas", null, AlterConfigOp.Delete)],
        [ConfigResource.Broker(2)] = [new ConfigAlteration("follower.replication.throttled.rate", null, AlterConfigOp.Delete)],
    });

    /// <summary>Writes <paramref name="bytes"/> of 16 KiB records to each partition, acks=all.</summary>
    private async Task WriteAsync(string topic, int partitions, int bytes)
    {
        await using var producer = await KafkaProducer.ConnectAsync(KafkaClientOptions.For(cluster.Kubelet.Bootstrap.Split(',')), new KafkaProducerOptions { Acks = -1 });
        var value = new byte[16 << 10];
        var sends = Enumerable.Range(0, bytes / value.Length).SelectMany(_ => Enumerable.Range(0, partitions)).Select(p => producer.ProduceAsync(topic, p, null, value)).ToList();
        await Task.WhenAll(sends);
    }
}
