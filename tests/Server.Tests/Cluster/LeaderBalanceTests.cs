using System.Diagnostics;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;
using ElectionType = KafkaOperator.Client.Admin.ElectionType;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// Preferred leaders on three real broker processes: a broker killed with kill -9 loses its leaderships and, once
/// restarted and back in sync, gets them back from the controller's automatic rebalancing (checked every second
/// here) or, with auto.leader.rebalance.enable=false, keeps none until ElectLeaders or the config turns it on again.
/// Throughout, an idempotent acks=all librdkafka producer writes and a librdkafka consumer group of two members reads
/// (<see cref="GroupAudit"/>): every acknowledged record is in the log once and consumed by the group, and nothing the
/// group had committed is read again.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class LeaderBalanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string> Settings(bool autoRebalance) => new()
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        ["min.insync.replicas"] = "2",
        ["offsets.topic.replication.factor"] = "3",
        ["offsets.topic.num.partitions"] = "3",
        ["leader.imbalance.check.interval.seconds"] = "1",
        ["auto.leader.rebalance.enable"] = autoRebalance ? "true" : "false",
    };

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);

    private static bool AllPreferred(TopicMetadata t) => t.Partitions.All(p => p.LeaderId == p.Replicas[0]);

    [Fact]
    public async Task Leaders_move_off_a_killed_broker_and_return_to_it_once_it_is_back_in_sync()
    {
        var python = RepoPaths.RequirePython();
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings(autoRebalance: true));
        const string Topic = "rebalanced";
        await using var client = await KafkaCluster.ConnectAsync(KafkaClientOptions.For([.. cluster.Brokers.Select(b => b.BootstrapServers)]));
        await using var admin = new KafkaAdminClient(client);
        (await admin.CreateTopicsAsync([new NewTopic(Topic, 6, 3)])).ThrowIfAnyFailed();
        var placed = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.Count == 6 && t.Partitions.All(p => p.Isr.Count == 3) && AllPreferred(t), "6 partitions in sync, led by their preferred replicas");
        // An idempotent acks=all librdkafka producer writes throughout and a consumer group reads: the leaderships and
        // the group's coordinator move off the victim and back under load.
        using var load = await SteadyStorm.StartAsync(python, cluster, Topic);
        using var group = await GroupAudit.StartAsync(python, cluster, Topic, load.Dir, output);

        // The victim is the group's coordinator (__consumer_offsets has RF 3: another broker takes the group over).
        var victim = (await admin.FindCoordinatorAsync(group.Group)).NodeId;
        var preferredByVictim = placed.Partitions.Where(p => p.Replicas[0] == victim).Select(p => p.Partition).ToList();
        Assert.NotEmpty(preferredByVictim);
        cluster.Brokers[victim].Kill();
        await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.All(p => p.LeaderId >= 0 && p.LeaderId != victim), $"leaders off the killed broker {victim}");

        await cluster.Brokers[victim].RestartAsync();
        var back = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.All(p => p.Isr.Count == 3) && AllPreferred(t), $"broker {victim} back in sync and leading its preferred partitions again");
        Assert.Equal(preferredByVictim, back.Partitions.Where(p => p.LeaderId == victim).Select(p => p.Partition));
        Assert.Contains("moving", cluster.Brokers.Select(b => b.Log).First(l => l.Contains("leader imbalance", StringComparison.Ordinal)), StringComparison.Ordinal);

        // Writes go on to the moved leaders; then everything acknowledged is there exactly once, and the group read it.
        await load.FinishAsync(cluster, output, group, admin);

        // Every replica holds the same bytes once the followers have caught up, and none lags.
        var dirs = await WaitForAsync(() => admin.DescribeLogDirsAsync(),
            d => d.Count == 3 && d.All(x => x.Succeeded) && Replicas(d, Topic).GroupBy(r => r.Replica.Partition).All(g => g.Count() == 3 && g.Select(r => r.Replica.SizeBytes).Distinct().Count() == 1)
                && Replicas(d, Topic).All(r => r.Replica.OffsetLag == 0),
            "equal replica sizes, no offset lag");
        Assert.True(Replicas(dirs, Topic).Sum(r => r.Replica.SizeBytes) > 0);
        Assert.All(dirs, d => Assert.True(d.TotalBytes > 0 && d.UsableBytes > 0 && d.UsableBytes <= d.TotalBytes, $"{d.Path}: {d.TotalBytes} / {d.UsableBytes}"));
    }

    [Fact]
    public async Task With_rebalancing_off_leaders_stay_until_ElectLeaders_or_the_dynamic_config_moves_them()
    {
        var python = RepoPaths.RequirePython();
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings(autoRebalance: false));
        await using var client = await KafkaCluster.ConnectAsync(KafkaClientOptions.For([.. cluster.Brokers.Select(b => b.BootstrapServers)]));
        await using var admin = new KafkaAdminClient(client);
        (await admin.CreateTopicsAsync([new NewTopic("elected", 3, 3), new NewTopic("configured", 3, 3)])).ThrowIfAnyFailed();
        foreach (var topic in new[] { "elected", "configured" })
            await WaitForAsync(() => client.GetTopicAsync(topic, refresh: true), t => t.Partitions.All(p => p.Isr.Count == 3) && AllPreferred(t), $"{topic} in sync");
        // The same load and group as above, on the topic whose leaders ElectLeaders moves back.
        using var load = await SteadyStorm.StartAsync(python, cluster, "elected");
        using var group = await GroupAudit.StartAsync(python, cluster, "elected", load.Dir, output);

        const int Victim = 2;
        cluster.Brokers[Victim].Kill();
        await WaitForAsync(() => client.GetTopicAsync("elected", refresh: true), t => t.Partitions.All(p => p.LeaderId >= 0 && p.LeaderId != Victim), "leaders off the killed broker");
        await cluster.Brokers[Victim].RestartAsync();
        foreach (var topic in new[] { "elected", "configured" })
            await WaitForAsync(() => client.GetTopicAsync(topic, refresh: true), t => t.Partitions.All(p => p.Isr.Count == 3), $"{topic}: broker {Victim} back in every ISR");

        // Three check intervals pass and nothing moves back.
        var window = Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(3))
        {
            var metadata = await client.RefreshMetadataAsync(["elected", "configured"]);
            Assert.DoesNotContain(metadata.Topics.Values.SelectMany(t => t.Partitions), p => p.LeaderId == Victim);
            await Task.Delay(250);
        }

        // ElectLeaders PREFERRED: the victim's partitions of one topic, the others need none, bad input is refused.
        var elected = await client.GetTopicAsync("elected", refresh: true);
        var request = elected.Partitions.Select(p => new TopicPartition("elected", p.Partition))
            .Append(new TopicPartition("elected", 99)).Append(new TopicPartition("no-such-topic", 0)).ToList();
        var results = await admin.ElectLeadersAsync(ElectionType.Preferred, request);
        Assert.Equal(request, results.Select(r => new TopicPartition(r.Topic, r.Partition)));
        foreach (var p in elected.Partitions)
        {
            var result = results.Single(r => r.Topic == "elected" && r.Partition == p.Partition);
            Assert.Equal(p.Replicas[0] == Victim ? null : ErrorCode.ElectionNotNeeded, result.Error?.Code);
        }
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, results.Single(r => r.Partition == 99).Error?.Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, results.Single(r => r.Topic == "no-such-topic").Error?.Code);
        Assert.True(AllPreferred(await client.GetTopicAsync("elected", refresh: true)));
        Assert.Contains((await client.GetTopicAsync("configured", refresh: true)).Partitions, p => p.Replicas[0] == Victim && p.LeaderId != Victim);

        // UNCLEAN for partitions that have a leader: not needed.
        var unclean = await admin.ElectLeadersAsync(ElectionType.Unclean, [new TopicPartition("elected", 0)]);
        Assert.Equal(ErrorCode.ElectionNotNeeded, Assert.Single(unclean).Error?.Code);

        // A broker that is not the active controller refuses (top level from v1, per partition in v0).
        var controller = (await admin.DescribeClusterAsync()).ControllerId;
        var other = cluster.Brokers.First(b => b.IsRunning && b != cluster.Brokers[controller]);
        using (var raw = RawConnection.Open(other.Port))
        {
            var body = new ElectLeadersRequest { ElectionType = 0, TopicPartitions = [new() { Topic = "elected", PartitionId = [0] }] };
            var v2 = await raw.RequestAsync<ElectLeadersRequest, ElectLeadersResponse>(ApiKey.ElectLeaders, 2, body);
            Assert.Equal((short)ErrorCode.NotController, v2.ErrorCode);
            var v0 = await raw.RequestAsync<ElectLeadersRequest, ElectLeadersResponse>(ApiKey.ElectLeaders, 0, body);
            Assert.Equal((short)ErrorCode.NotController, v0.ReplicaElectionResults.Single().PartitionResult.Single().ErrorCode);
        }

        // auto.leader.rebalance.enable is a dynamic cluster config: turned on, the other topic moves back too.
        var altered = await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [new ConfigResource(ConfigResourceType.Broker, "")] = [new ConfigAlteration("auto.leader.rebalance.enable", "true")],
        });
        Assert.True(altered[0].Succeeded, altered[0].Error?.Message);
        await WaitForAsync(() => client.GetTopicAsync("configured", refresh: true), AllPreferred, "the other topic's preferred leaders back after the config change");

        // Everything is balanced now: an election for every partition has nothing to report.
        Assert.Empty(await admin.ElectLeadersAsync(ElectionType.Preferred, null));
        await load.FinishAsync(cluster, output, group, admin);
    }

    [Fact]
    public async Task An_unclean_election_gives_a_leaderless_partition_its_live_out_of_sync_replica()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings(autoRebalance: false));
        const string Topic = "unclean";
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers))
        {
            (await admin.CreateTopicsAsync([new NewTopic(Topic) { ReplicaAssignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2] } }])).ThrowIfAnyFailed();
        }
        await PartitionFromAsync(cluster.Brokers[0], p => p.LeaderId == 1 && p.IsrNodes.Order().SequenceEqual([1, 2]), "led by 1 with 2 in sync");

        // 2 hangs and leaves the ISR (fenced); 1, the only in-sync replica, dies while 2 still hangs (no quorum
        // meanwhile); 2 comes back: alive, out of sync, and the partition has no leader.
        await cluster.Brokers[2].PauseAsync();
        try
        {
            await PartitionFromAsync(cluster.Brokers[0], p => p.IsrNodes.SequenceEqual([1]), "the hung broker out of the ISR");
            cluster.Brokers[1].Kill();
        }
        finally
        {
            await cluster.Brokers[2].ResumeAsync();
        }
        await PartitionFromAsync(cluster.Brokers[0], p => p.LeaderId == -1 && p.IsrNodes.SequenceEqual([1]), "no leader, the dead broker the last in sync");

        await using var client = await KafkaAdminClient.ConnectAsync(string.Join(',', cluster.Brokers[0].BootstrapServers, cluster.Brokers[2].BootstrapServers));
        var preferred = await client.ElectLeadersAsync(ElectionType.Preferred, [new TopicPartition(Topic, 0)]);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, Assert.Single(preferred).Error?.Code);
        var unclean = await client.ElectLeadersAsync(ElectionType.Unclean, [new TopicPartition(Topic, 0)]);
        Assert.Null(Assert.Single(unclean).Error);
        await PartitionFromAsync(cluster.Brokers[0], p => p.LeaderId == 2 && p.IsrNodes.SequenceEqual([2]), "the out-of-sync replica leading alone");
        Assert.Contains(cluster.Brokers, b => b.Log.Contains($"UNCLEAN leader election for {Topic}-0 (ElectLeaders)", StringComparison.Ordinal));
        var again = await client.ElectLeadersAsync(ElectionType.Unclean, [new TopicPartition(Topic, 0)]);
        Assert.Equal(ErrorCode.ElectionNotNeeded, Assert.Single(again).Error?.Code);
    }

    /// <summary>Polls partition 0 of "unclean" in Metadata from one broker over a raw connection (a hung broker elsewhere cannot stall it).</summary>
    private Task<MetadataResponse.MetadataResponsePartition> PartitionFromAsync(BrokerProcess broker, Func<MetadataResponse.MetadataResponsePartition, bool> done, string what) =>
        WaitForAsync(async () =>
        {
            using var raw = RawConnection.Open(broker.Port);
            var response = await raw.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
                new MetadataRequest { Topics = [new() { Name = "unclean" }], AllowAutoTopicCreation = false });
            return response.Topics.Single().Partitions.Single();
        }, done, what);

    private static IEnumerable<(int Broker, ReplicaLogInfo Replica)> Replicas(IReadOnlyList<LogDirDescription> dirs, string topic) =>
        dirs.SelectMany(d => d.Replicas.Where(r => r.Topic == topic).Select(r => (d.BrokerId, r)));
}
