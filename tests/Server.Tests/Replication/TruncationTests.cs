using KafkaOperator.Protocol;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Replication;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// The truncation scenarios of KIP-101 (leader epochs instead of the high watermark) and KIP-279 (several rounds
/// when the follower misses epochs), played on production partitions and logs with the production fetch logic on
/// both sides. Broker 1 is "A" and broker 2 "B" in KIP-101's figures.
/// </summary>
public sealed class TruncationTests
{
    private static List<string> Values(ReplicaSet set, int id) => [.. set.Records(id).Select(r => r.Value)];

    [Fact]
    public void KIP101_case1_a_follower_restarting_with_a_log_longer_than_its_HW_keeps_the_committed_record()
    {
        using var set = new ReplicaSet(1, 2);
        set.Elect(1, 0, [1, 2], 0);
        set.Produce(1, "m1");
        set.CatchUp(2, 1);
        set.Produce(1, "m2");
        set.Fetch(2, 1); // B has m2, but heard HW 1 only
        set.FetchAnswerLost(2, 1); // A sees B at 2: m2 is committed (an acks=all producer hears so), B never hears
        Assert.Equal(2, set[1].HighWatermark);
        Assert.Equal((2L, 1L), (set[2].LogEndOffset, set[2].HighWatermark));

        // B restarts with its HW checkpoint (1) below its log end (2). Truncating to the HW (pre-KIP-101) would drop m2.
        set.Restart(2, keepBelow: null, highWatermark: 1);
        set.Elect(1, 0, [1, 2], 0, to: 2);
        var first = set.Fetch(2, 1);
        Assert.False(first.Truncated);
        Assert.Null(first.Diverging);
        Assert.Equal(2, set[2].LogEndOffset);

        // A dies; B leads and still has m2; A comes back as B's follower and agrees.
        set.Elect(2, 1, [2], 1, to: 2);
        Assert.Equal(["m1", "m2"], Values(set, 2));
        set.Produce(2, "m3");
        set.Restart(1, keepBelow: null, highWatermark: 2);
        set.Elect(2, 1, [2], 1, to: 1);
        set.CatchUp(1, 2);
        Assert.Equal(["m1", "m2", "m3"], Values(set, 1));
        Assert.Equal(set.Records(2), set.Records(1));
    }

    [Fact]
    public void KIP101_case2_after_a_power_loss_the_old_leader_truncates_its_uncommitted_record_where_the_new_leader_wrote_another()
    {
        using var set = new ReplicaSet(1, 2);
        set.Elect(1, 0, [1, 2], 0);
        set.Produce(1, "m1");
        set.CatchUp(2, 1);
        set.Produce(1, "m2"); // on A only: never committed

        // Both lose power; B comes back first with m1 only and is elected; it writes m3 at offset 1.
        set.Restart(1, keepBelow: null, highWatermark: 1);
        set.Restart(2, keepBelow: 1, highWatermark: 1);
        set.Elect(2, 1, [2], 1, to: 2);
        Assert.Equal(1, set.Produce(2, "m3"));

        // A comes back as follower: epoch 0 ends at 1 on B, so A cuts m2 there instead of keeping it under m3's offset.
        set.Elect(2, 1, [2], 1, to: 1);
        var first = set.Fetch(1, 2);
        Assert.Equal((0, 1L), first.Diverging);
        Assert.Equal((2L, 1L), (first.EndBefore, first.EndAfter));
        set.CatchUp(1, 2);
        Assert.Equal(["m1", "m3"], Values(set, 1));
        Assert.Equal(set.Records(2), set.Records(1));
    }

    [Fact]
    public void KIP101_two_fast_leader_changes_leave_diverged_logs_that_agree_after_truncation()
    {
        using var set = new ReplicaSet(1, 2, 3);
        set.Elect(1, 0, [1, 2, 3], 0);
        set.Produce(1, "m1");
        set.Replicate(1, 2, 3);
        set.Produce(1, "m2"); // A alone

        // B leads epoch 1 before anyone copied m2 and writes m3 at the same offset; only B hears of epoch 1.
        set.Elect(2, 1, [1, 2, 3], 1, to: 2);
        Assert.Equal(1, set.Produce(2, "m3"));
        // A leads again in epoch 2 before anyone copied m3.
        set.Elect(1, 2, [1, 2, 3], 2);
        set.Produce(1, "m4");
        Assert.Equal([(1L, 0, "m2"), (2L, 2, "m4")], set.Records(1).Skip(1));
        Assert.Equal([(1L, 1, "m3")], set.Records(2).Skip(1));

        // B's epoch 1 is unknown to A: A answers with epoch 0, which ends at 2 there, and B's epoch 0 ends at 1.
        var first = set.Fetch(2, 1);
        Assert.Equal((0, 2L), first.Diverging);
        Assert.Equal(1, first.EndAfter);
        set.Replicate(1, 2, 3);
        foreach (var id in new[] { 2, 3 })
            Assert.Equal(set.Records(1), set.Records(id));
        Assert.Equal(["m1", "m2", "m4"], Values(set, 3));
        Assert.Equal(set[1].Log.EpochCache.Entries, set[2].Log.EpochCache.Entries);
    }

    [Fact]
    public void KIP279_a_follower_that_missed_several_epochs_converges_in_several_rounds()
    {
        using var set = new ReplicaSet(1, 2);
        // Epoch 0: A leads, B copies a0 a1. Then the two lead in turn, each writing while the other is cut off:
        // B epochs 1 and 3, A epochs 2 and 4.
        set.Elect(1, 0, [1, 2], 0);
        set.Produce(1, "a0");
        set.Produce(1, "a1");
        set.CatchUp(2, 1);
        set.Elect(2, 1, [2], 1, to: 2);
        set.Produce(2, "b2");
        set.Produce(2, "b3");
        set.Elect(1, 2, [1], 2, to: 1);
        set.Produce(1, "c2");
        set.Produce(1, "c3");
        set.Elect(2, 3, [2], 3, to: 2);
        set.Produce(2, "d4");
        set.Produce(2, "d5");
        set.Elect(1, 4, [1], 4, to: 1);
        set.Produce(1, "e4");
        set.Produce(1, "e5");
        set.Produce(1, "e6");
        Assert.Equal([(0, 0L), (1, 2L), (3, 4L)], set[2].Log.EpochCache.Entries);
        Assert.Equal([(0, 0L), (2, 2L), (4, 4L)], set[1].Log.EpochCache.Entries);

        // B follows A in epoch 4. Round 1: B's last epoch 3 is unknown to A, whose largest epoch below is 2, ending
        // at 4; B does not know epoch 2 either, so it cuts to the end of its epoch 1 below it (4) and asks again.
        set.Elect(1, 4, [1, 2], 5, to: 2);
        var round1 = set.Fetch(2, 1);
        Assert.Equal((2, 4L), round1.Diverging);
        Assert.Equal((6L, 4L), (round1.EndBefore, round1.EndAfter));
        // Round 2: B's epoch 1 is unknown to A; A's epoch 0 ends at 2, where B's does too.
        var round2 = set.Fetch(2, 1);
        Assert.Equal((0, 2L), round2.Diverging);
        Assert.Equal(2, round2.EndAfter);
        // Round 3: no divergence left; B copies A's epochs 2 and 4.
        var round3 = set.Fetch(2, 1);
        Assert.Null(round3.Diverging);
        Assert.False(round3.Truncated);
        set.CatchUp(2, 1);
        Assert.Equal(["a0", "a1", "c2", "c3", "e4", "e5", "e6"], Values(set, 2));
        Assert.Equal(set.Records(1), set.Records(2));
        Assert.Equal(set[1].Log.EpochCache.Entries, set[2].Log.EpochCache.Entries);
    }

    [Fact]
    public void A_follower_that_led_an_epoch_without_appending_drops_it_and_catches_up()
    {
        using var set = new ReplicaSet(1, 2);
        set.Elect(1, 0, [1, 2], 0);
        set.Produce(1, "a0");
        set.Produce(1, "a1");
        set.CatchUp(2, 1);
        // B leads epoch 1 (its cache gets epoch 1 at offset 2) but writes nothing; A leads epoch 2 without hearing of 1.
        set.Elect(2, 1, [2], 1, to: 2);
        set.Elect(1, 2, [1], 2, to: 1);
        set.Produce(1, "b2");
        set.Elect(1, 2, [1, 2], 3, to: 2);

        // A answers B's epoch 1 with its epoch 0, ending at 2: B's own end. B has nothing to cut but epoch 1 itself.
        var first = set.Fetch(2, 1);
        Assert.Equal((0, 2L), first.Diverging);
        Assert.False(first.Truncated);
        Assert.Equal([(0, 0L)], set[2].Log.EpochCache.Entries);
        var second = set.Fetch(2, 1);
        Assert.Null(second.Diverging);
        Assert.Equal(3, second.EndAfter);
        Assert.Equal(set.Records(1), set.Records(2));
    }

    [Fact]
    public void A_pending_ISR_expansion_holds_the_HW_for_the_follower_until_the_outcome_is_known()
    {
        using var set = new ReplicaSet(1, 2);
        set.Elect(1, 0, [1], 0);
        set.Produce(1, "m0");
        set.CatchUp(2, 1); // caught up: A asks for ISR [1, 2]
        Assert.Equal([1, 2], set[1].PendingIsr!);
        set.Produce(1, "m1");
        Assert.Equal(1, set[1].HighWatermark); // B counts already: the controller may have added it

        // The answer is lost: the outcome is unknown, so the sender asks again and the change stays pending.
        Assert.Equal(PendingIsrAction.Retry, AlterPartitionSender.AfterError(ErrorCode.RequestTimedOut));
        Assert.Equal(PendingIsrAction.Retry, AlterPartitionSender.AfterError(ErrorCode.NotController));
        Assert.Equal(PendingIsrAction.AwaitMetadata, AlterPartitionSender.AfterError(ErrorCode.InvalidUpdateVersion));
        Assert.Equal(PendingIsrAction.AwaitMetadata, AlterPartitionSender.AfterError(ErrorCode.FencedLeaderEpoch));
        // Only refusals that applied nothing let the leader go back to its committed ISR.
        Assert.Equal(PendingIsrAction.Revert, AlterPartitionSender.AfterError(ErrorCode.IneligibleReplica));
        Assert.Equal(PendingIsrAction.Revert, AlterPartitionSender.AfterError(ErrorCode.OperationNotAttempted));
        Assert.Equal(1, set[1].HighWatermark);

        // The committed expansion arrives as metadata: still B's fetches move the HW.
        set.Elect(1, 0, [1, 2], 1);
        Assert.Null(set[1].PendingIsr);
        set.CatchUp(2, 1);
        Assert.Equal(2, set[1].HighWatermark);
    }

    [Fact]
    public void A_restarted_leader_that_lost_committed_records_does_not_lead_its_old_epoch()
    {
        using var set = new ReplicaSet(1, 2, 3);
        set.Elect(1, 0, [1, 2, 3], 0);
        for (var i = 0; i < 4; i++)
            set.Produce(1, $"m{i}");
        set.Replicate(1, 2, 3);
        Assert.Equal(4, set[1].HighWatermark); // all four committed

        // A loses power with only m0 durable and restarts before the controller noticed: the metadata it catches up
        // with still names it leader of epoch 0 (registered, unfenced, with the previous process's broker epoch).
        set.Restart(1, keepBelow: 1, highWatermark: 4);
        Assert.Equal(1, set[1].LogEndOffset);
        var stale = new PartitionMetadata(0, 1, 0, [1, 2, 3], [1, 2, 3], 0);
        var image = Image((1, 5, false), (2, 6, false), (3, 7, false));
        var view = ReplicaManager.LocalView(image, stale, 1, brokerEpoch: -1);
        Assert.Equal(-1, view.Leader);
        set[1].ApplyMetadata(view, 2_000);
        Assert.False(set[1].IsLeader);

        // The followers' fetches are refused instead of truncating them to A's shorter log.
        foreach (var follower in new[] { 2, 3 })
        {
            var outcome = set.Fetch(follower, 1);
            Assert.Equal(ErrorCode.NotLeaderOrFollower, outcome.Error);
            Assert.Equal(4, set[follower].LogEndOffset);
        }

        // Registered again, A is fenced until the controller moves the leadership; still no leading.
        var registered = Image((1, 9, true), (2, 6, false), (3, 7, false));
        Assert.Equal(-1, ReplicaManager.LocalView(registered, stale, 1, brokerEpoch: 9).Leader);
        // B leads epoch 1 with every committed record; A copies them back.
        set.Elect(2, 1, [2, 3], 1);
        set.CatchUp(1, 2);
        Assert.Equal(["m0", "m1", "m2", "m3"], Values(set, 1));
        // Unfenced under its new epoch, A may lead what the controller gives it.
        var unfenced = Image((1, 9, false), (2, 6, false), (3, 7, false));
        Assert.Equal(1, ReplicaManager.LocalView(unfenced, stale with { LeaderEpoch = 2 }, 1, brokerEpoch: 9).Leader);
        Assert.Equal(-1, ReplicaManager.LocalView(unfenced, stale, 1, brokerEpoch: 5).Leader);
    }

    private static MetadataImage Image(params (int Id, long Epoch, bool Fenced)[] brokers) =>
        new(new Dictionary<string, TopicMetadata>(), new Dictionary<Guid, TopicMetadata>(), new Dictionary<string, string>(), 0,
            brokers.ToDictionary(b => b.Id, b => new BrokerInfo(b.Id, b.Epoch, [], null, b.Fenced)));
}
