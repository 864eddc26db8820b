using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Tests.Reconcilers;

/// <summary>The scale-down drain timeout (the operator's --drain-timeout, 30 min by default).</summary>
public sealed partial class ClusterOperationsTests
{
    [Fact]
    public async Task A_drain_not_finished_within_the_timeout_blocks_the_scale_down_naming_the_partitions_and_stops_nothing()
    {
        _kafka.Seed("orders", 1, [0, 2], [2, 1], [1, 0]);
        await RunningClusterAsync(controllers: 1);
        await EditAsync(c => c.Spec.Replicas = 2);
        var c = await ReconcileAsync();
        Assert.Equal("ScalingDown", Ready(c).Reason);
        Assert.Equal(2, _kafka.Moves.Count);

        _time.Advance(TimeSpan.FromMinutes(29));
        c = await ReconcileAsync();
        Assert.Equal("ScalingDown", Ready(c).Reason);

        // Broker 2 holds the only copy nobody can read (down, say): the moves never end.
        _time.Advance(TimeSpan.FromMinutes(2));
        c = await ReconcileAsync();
        Assert.Equal("ScaleDownBlocked", Ready(c).Reason);
        Assert.Contains("did not finish within 30 min", Ready(c).Message, StringComparison.Ordinal);
        Assert.Contains("orders-0, orders-1", Ready(c).Message, StringComparison.Ordinal);
        Assert.DoesNotContain("orders-2", Ready(c).Message, StringComparison.Ordinal);
        Assert.True(Conditions.IsTrue(c.Status!.Conditions, ConditionTypes.Reconciling)); // the reassignment still runs
        Assert.Equal(3, (await StsAsync()).Spec!.Replicas);
        Assert.Equal(3, (await PodNamesAsync()).Count);
        Assert.Equal(2, _kafka.Moves.Count); // nothing cancelled, nothing planned again
        await ReconcileAsync();
        Assert.Single(_events.Events, e => e.Reason == "ScaleDownBlocked");

        // Should the drain finish after all, the leaving broker is empty and the scale-down goes on.
        _kafka.CompleteReassignments();
        await ReconcileAsync();
        Assert.Equal(2, (await StsAsync()).Spec!.Replicas);
    }
}
