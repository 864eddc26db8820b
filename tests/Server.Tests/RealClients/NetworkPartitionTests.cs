using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// Three broker processes, each in its own network namespace, a topic with RF 3 and min.insync.replicas=2, and an
/// idempotent acks=all librdkafka producer storm while the network between brokers is cut (clients still reach
/// every broker, as when only the brokers' own links fail). Afterwards the cut is healed, every partition's ISR must
/// be full again in every broker's metadata, and every acknowledged record must be in the log exactly once, at its
/// acknowledged offset, in order per partition.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed partial class NetworkPartitionTests(ITestOutputHelper output)
{
    private const int PartitionCount = 6;
    private const int Total = 150_000;
    private const int AckedBeforeCut = 20_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        ["replica.lag.time.max.ms"] = "3000",
        ["offsets.topic.replication.factor"] = "3",
        ["offsets.topic.num.partitions"] = "3",
        ["default.replication.factor"] = "3",
        ["min.insync.replicas"] = "2",
    };

    public enum Cut
    {
        /// <summary>Between a leader and one follower, both ways (neither is the controller).</summary>
        LeaderAndFollowerBothWays,

        /// <summary>Only the leader's packets to one follower are lost (neither is the controller).</summary>
        LeaderToFollowerOneWay,
    }

    /// <summary>
    /// A partition leader (not the controller) loses every link to the other brokers, the controller among them:
    /// its quorum fetches stop, so it is fenced and its leaderships move to the in-sync followers, while producers
    /// still reach it. An acks=all write on a moved partition is acknowledged by its new leader; one sent to the
    /// isolated broker can only time out. After healing the isolated broker learns of the moves, truncates what
    /// only it had, and rejoins every ISR with a copy identical to the others'.
    /// </summary>
    [Fact]
    public async Task An_isolated_leader_is_fenced_and_loses_no_acknowledged_record()
    {
        var python = RepoPaths.RequirePython();
        using var network = IsolatedNetwork.Create(3);
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings, network);
        var topic = "isolated-" + Guid.NewGuid().ToString("N")[..8];
        var probes = "probes-" + Guid.NewGuid().ToString("N")[..8];
        var acks = AckPath(cluster, "acks-isolated.txt");
        using var storm = DurabilityStorm.Start(python, cluster, topic, acks, AckedBeforeCut, Total, (PartitionCount, 3, 2));
        await storm.WaitForLineAsync("ACKED", Deadline);

        await using var views = await Views.ConnectAsync(cluster);
        await using (var admin = new KafkaAdminClient(views.Of(0)))
            (await admin.CreateTopicsAsync([new NewTopic(probes, 3, 3)])).ThrowIfAnyFailed();
        await WaitForAsync(() => views.TopicAsync(0, probes), t => t.Partitions.All(p => p.LeaderId >= 0 && p.Isr.Count == 3), "probe topic with full ISRs");
        var controller = (await views.Of(0).RefreshMetadataAsync([])).ControllerId;
        var before = await views.TopicAsync(controller, topic);
        var probesBefore = await views.TopicAsync(controller, probes);
        var victim = before.Partitions.Select(p => p.LeaderId).First(l => l != controller);
        var moved = before.Partitions.Where(p => p.LeaderId == victim).Select(p => p.Partition).ToList();
        var probePartition = probesBefore.Partitions.First(p => p.LeaderId == victim).Partition;

        network.Isolate(victim);
        var cutAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        output.WriteLine($"cut broker {victim} (leader of partitions {string.Join(',', moved)}) off from the others; controller {controller}");

        // The majority fences it and moves its leaderships to in-sync followers; the first acks=all write on a moved
        // partition is acknowledged by the new leader.
        var after = await WaitForAsync(() => views.TopicAsync(controller, probes),
            t => Note(t).Partitions.All(p => p.LeaderId >= 0 && p.LeaderId != victim && !p.Isr.Contains(victim) && p.Isr.Count == 2),
            $"broker {victim} out of every ISR and leading nothing, as the controller sees it");
        var movedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var newLeader = after.Partitions[probePartition].LeaderId;
        Assert.True(after.Partitions[probePartition].LeaderEpoch > probesBefore.Partitions[probePartition].LeaderEpoch);
        Assert.Equal(ErrorCode.None, await ProduceUntilLeaderAsync(views.Of(controller), newLeader, probes, probePartition, "acked-0-on-the-new-leader"));
        var firstAckAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var stormView = await WaitForAsync(() => views.TopicAsync(controller, topic),
            t => t.Partitions.All(p => p.LeaderId != victim && !p.Isr.Contains(victim)), $"broker {victim} out of {topic}");
        foreach (var p in moved)
            Assert.True(stormView.Partitions[p].LeaderEpoch > before.Partitions[p].LeaderEpoch);

        // The isolated broker still believes it leads (it has heard of no change): its high watermark stopped at the
        // cut, and an acks=all write to it cannot be acknowledged.
        var frozen = await HighWatermarksAsync(views.Of(victim), topic, moved);
        var zombie = await ProduceToAsync(views.Of(victim), victim, probes, probePartition, "zombie-0-never-acknowledged");
        Assert.True(zombie is ErrorCode.RequestTimedOut or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.NotLeaderOrFollower,
            $"an acks=all write to the isolated leader answered {zombie}");

        network.HealAll();
        var healedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await WaitForConvergenceAsync(views);
        var convergedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var exit = await storm.WaitForExitAsync(TimeSpan.FromMinutes(3));
        DurabilityStorm.AssertOk(exit, storm, cluster);
        var stormFirstAcks = ReadAcks(acks);
        // On a quiet machine the storm may have sent its last record before the cut took hold: then a moved partition
        // has no acknowledgement past its frozen high watermark, and there is no resumption to report.
        var stormResumed = moved.Select(p => stormFirstAcks.Where(a => a.Partition == p && a.Offset >= frozen[p]).Select(a => a.Time - cutAt)
            .DefaultIfEmpty(-1).Min()).Select(t => t < 0 ? "none (the storm had finished)" : $"{t} ms").ToList();
        await DurabilityStorm.VerifyAsync(python, cluster, topic, output, Total, Total, $"{DurabilityStorm.Phase}={acks}");
        await AssertReplicasIdenticalAsync(cluster, [(topic, PartitionCount), (probes, 3)]);
        var probeLog = await ReadValuesAsync(views.Of(controller), probes, probePartition);
        Assert.Equal(["acked-0-on-the-new-leader"], probeLog);

        output.WriteLine($"cut -> leaderships moved (seen by the controller): {movedAt - cutAt} ms; cut -> first acks=all write acknowledged " +
            $"on a moved partition: {firstAckAt - cutAt} ms; the storm (librdkafka keeps sending to the isolated leader, which " +
            $"answers REQUEST_TIMED_OUT, until it learns of the moves) resumed on the moved partitions after " +
            $"{string.Join(", ", moved.Zip(stormResumed, (p, t) => $"p{p} {t}"))} (healed after {healedAt - cutAt} ms); " +
            $"heal -> every ISR full on every broker: {convergedAt - healedAt} ms");
    }

    /// <summary>
    /// A leader and one of its followers lose their link (the controller still reaches both, so nobody is fenced):
    /// each drops the other from the ISRs of the partitions it leads with AlterPartition, and acks=all writes go on
    /// with the two replicas left, min.insync.replicas being 2. Partitions the controller leads see a cut between
    /// their two followers only, which changes nothing for them.
    /// </summary>
    [Theory]
    [InlineData(Cut.LeaderAndFollowerBothWays)]
    [InlineData(Cut.LeaderToFollowerOneWay)]
    public async Task A_cut_between_two_brokers_shrinks_the_isr_and_writes_go_on(Cut cut)
    {
        var python = RepoPaths.RequirePython();
        using var network = IsolatedNetwork.Create(3);
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings, network);
        var topic = "cut-" + Guid.NewGuid().ToString("N")[..8];
        var acks = AckPath(cluster, "acks-cut.txt");
        using var storm = DurabilityStorm.Start(python, cluster, topic, acks, AckedBeforeCut, Total, (PartitionCount, 3, 2));
        await storm.WaitForLineAsync("ACKED", Deadline);

        await using var views = await Views.ConnectAsync(cluster);
        // A probe topic written once the ISRs have shrunk: on a quiet machine the storm may be done by then.
        var probes = "probes-" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new KafkaAdminClient(views.Of(0)))
            (await admin.CreateTopicsAsync([new NewTopic(probes, 3, 3)])).ThrowIfAnyFailed();
        await WaitForAsync(() => views.TopicAsync(0, probes), t => t.Partitions.All(p => p.LeaderId >= 0 && p.Isr.Count == 3), "probe topic with full ISRs");
        var before = await views.TopicAsync(0, topic);
        var controller = (await views.Of(0).RefreshMetadataAsync([])).ControllerId;
        var leader = before.Partitions.Select(p => p.LeaderId).First(l => l != controller);
        var follower = 3 - controller - leader;

        if (cut == Cut.LeaderAndFollowerBothWays)
            network.CutBetween(leader, follower);
        else
            network.Cut(leader, follower);
        var cutAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        output.WriteLine($"cut {cut} between leader {leader} and follower {follower}; controller {controller}");

        // Kafka shrinks an ISR only for a follower behind the leader's log end: keep writing to the probe topic, as the
        // storm may already be done on a quiet machine.
        using var writing = new CancellationTokenSource();
        var probeLeaders = (await views.TopicAsync(controller, probes)).Partitions.Where(p => p.LeaderId != controller).ToList();
        var writer = Task.Run(async () =>
        {
            for (var n = 0; !writing.IsCancellationRequested; n++)
            {
                await Task.WhenAll(probeLeaders.Select(p => ProduceToAsync(views.Of(controller), p.LeaderId, probes, p.Partition, $"during-cut-{n}")));
            }
        });
        var shrunk = await WaitForAsync(() => views.TopicAsync(controller, probes),
            t => Note(t).Partitions.All(p => p.LeaderId == controller
                ? p.Isr.Count == 3
                : p.Isr.Count == 2 && !p.Isr.Contains(p.LeaderId == leader ? follower : leader)),
            $"brokers {leader} and {follower} out of the ISRs of each other's partitions (the controller's partitions keep all three)");
        var shrunkAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await writing.CancelAsync();
        await writer;
        Assert.Equal(probeLeaders.Select(p => p.LeaderId), shrunk.Partitions.Where(p => p.LeaderId != controller).Select(p => p.LeaderId)); // nobody fenced

        // Writes go on with min.insync.replicas=2 while still cut: acks=all on every shrunk partition, and the storm
        // finishes with everything acknowledged.
        foreach (var p in shrunk.Partitions.Where(p => p.LeaderId != controller))
        {
            Assert.Equal(ErrorCode.None, await ProduceUntilLeaderAsync(views.Of(controller), p.LeaderId, probes, p.Partition, $"acked-while-cut-{p.Partition}"));
        }
        var exit = await storm.WaitForExitAsync(TimeSpan.FromMinutes(3));
        DurabilityStorm.AssertOk(exit, storm, cluster);
        var affected = before.Partitions.Where(p => p.LeaderId != controller).Select(p => p.Partition).ToHashSet();
        var ackedWhileShrunk = ReadAcks(acks).Count(a => affected.Contains(a.Partition) && a.Time > shrunkAt);

        network.HealAll();
        var healedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await WaitForConvergenceAsync(views);
        var convergedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await DurabilityStorm.VerifyAsync(python, cluster, topic, output, Total, Total, $"{DurabilityStorm.Phase}={acks}");
        await AssertReplicasIdenticalAsync(cluster, [(topic, PartitionCount)]);

        output.WriteLine($"cut -> ISRs shrunk (seen by the controller): {shrunkAt - cutAt} ms; {ackedWhileShrunk} records acknowledged on the " +
            $"affected partitions after that, still cut; heal -> every ISR full on every broker: {convergedAt - healedAt} ms; " +
            $"longest gap between acknowledgements per partition: {Gaps(acks, cutAt)}");
    }

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);

    /// <summary>Every broker's metadata shows every partition of every topic led, with its full ISR, at one leader epoch.</summary>
    private async Task WaitForConvergenceAsync(Views views)
    {
        for (var broker = 0; broker < 3; broker++)
        {
            var b = broker;
            await WaitForAsync(() => views.Of(b).RefreshMetadataAsync(null),
                m => m.Brokers.Count == 3 && m.Topics.Values.All(t => t.Partitions.All(p => p.LeaderId >= 0 && p.Isr.Count == p.Replicas.Count)),
                $"every ISR full in broker {b}'s metadata");
        }

        await WaitForAsync(async () => await Task.WhenAll(Enumerable.Range(0, 3).Select(b => views.Of(b).RefreshMetadataAsync(null))),
            all => all.Select(m => string.Join(';', m.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
                .SelectMany(t => t.Partitions.Select(p => $"{t.Name}-{p.Partition}:{p.LeaderId}@{p.LeaderEpoch}/{p.Isr.Count}")))).Distinct().Count() == 1,
            "the same leaders, epochs and ISRs in every broker's metadata");
    }
}
