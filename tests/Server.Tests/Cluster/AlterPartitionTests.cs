using System.Diagnostics;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>Three in-process brokers with one active controller, shared by the AlterPartition cluster tests.</summary>
public sealed class AlterPartitionCluster : IAsyncLifetime
{
    private InProcessCluster? _cluster;

    internal InProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _cluster = await InProcessCluster.StartAsync(3);
        // These tests are the leader: the brokers' own ISR requests would race them.
        foreach (var host in _cluster.Hosts)
            host.Services.IsrChanges!.Paused = true;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary>
/// AlterPartition through the wire on a real 3-broker quorum: the active controller commits ISR changes that every
/// broker then sees, refuses stale or wrong requests without writing, and only the active controller answers.
/// Topics with three replicas are created by proposing their record on the controller directly (the create path
/// may still refuse RF &gt; 1); the requests name the partition leader as the sender, as a leader would.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class AlterPartitionTests(AlterPartitionCluster fixture) : IClassFixture<AlterPartitionCluster>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_leader_shrinks_and_expands_its_isr_and_every_broker_sees_it()
    {
        var controller = await ControllerAsync();
        var (id, p) = await CreateAsync(controller, "isr-shrink-expand", [0, 1, 2]);
        Assert.Equal((0, 0, 0), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal([0, 1, 2], p.Isr);
        using var conn = RawConnection.Open(controller.Port);

        var shrunk = await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, 0, 0, [0, 1]))));
        Assert.Equal(0, shrunk.ErrorCode);
        Assert.Equal(id, Assert.Single(shrunk.Topics).TopicId);
        var s = Assert.Single(shrunk.Topics[0].Partitions);
        Assert.Equal((0, 0, 0, 0, 1), (s.PartitionIndex, (int)s.ErrorCode, s.LeaderId, s.LeaderEpoch, s.PartitionEpoch));
        Assert.Equal([0, 1], s.Isr);
        await EveryBrokerSeesAsync(id, 0, q => q.PartitionEpoch == 1 && q.Isr.SequenceEqual([0, 1]), "ISR [0,1] at partition epoch 1");

        // v3 names each new member with the broker epoch the leader saw it fetch with.
        var epochs = controller.Metadata.Image.Brokers;
        var expand = Part(0, 0, 1, []);
        expand.NewIsrWithEpochs = [.. new[] { 0, 1, 2 }.Select(b => new AlterPartitionRequest.BrokerState { BrokerId = b, BrokerEpoch = epochs[b].Epoch })];
        var expanded = await SendAsync(conn, 3, Request(controller, 0, Topic(id, expand)));
        var e = Assert.Single(Assert.Single(expanded.Topics).Partitions);
        Assert.Equal((0, 0, 0, 2), ((int)e.ErrorCode, e.LeaderId, e.LeaderEpoch, e.PartitionEpoch));
        Assert.Equal([0, 1, 2], e.Isr);
        await EveryBrokerSeesAsync(id, 0, q => q.PartitionEpoch == 2 && q.Isr.SequenceEqual([0, 1, 2]), "ISR [0,1,2] at partition epoch 2");

        // The same ISR again is answered with the current state and writes nothing.
        var same = await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, 0, 2, [0, 1, 2]))));
        var u = Assert.Single(Assert.Single(same.Topics).Partitions);
        Assert.Equal((0, 0, 2), ((int)u.ErrorCode, u.LeaderId, u.PartitionEpoch));
        Assert.Equal([0, 1, 2], u.Isr);
        Assert.Equal(2, Partition(controller, id, 0).PartitionEpoch);
    }

    [Fact]
    public async Task Versions_0_and_1_name_topics_and_unknown_topics_are_reported_per_version()
    {
        var controller = await ControllerAsync();
        var (id, _) = await CreateAsync(controller, "isr-by-name", [0, 1, 2]);
        using var conn = RawConnection.Open(controller.Port);

        var byName = new AlterPartitionRequest.TopicData { TopicName = "isr-by-name", Partitions = [Part(0, 0, 0, [0, 2])] };
        var ok = await SendAsync(conn, 1, Request(controller, 0, byName));
        Assert.Equal("isr-by-name", Assert.Single(ok.Topics).TopicName);
        var p = Assert.Single(ok.Topics[0].Partitions);
        Assert.Equal((0, 1), ((int)p.ErrorCode, p.PartitionEpoch));
        Assert.Equal([0, 2], p.Isr);
        Assert.Equal([0, 2], Partition(controller, id, 0).Isr);

        var unknownName = new AlterPartitionRequest.TopicData { TopicName = "no-such-topic", Partitions = [Part(0, 0, 0, [0])] };
        var r1 = await SendAsync(conn, 0, Request(controller, 0, unknownName));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(Assert.Single(r1.Topics).Partitions).ErrorCode);
        var r2 = await SendAsync(conn, 2, Request(controller, 0, Topic(Guid.NewGuid(), Part(0, 0, 0, [0]))));
        Assert.Equal((short)ErrorCode.UnknownTopicId, Assert.Single(Assert.Single(r2.Topics).Partitions).ErrorCode);
    }

    [Fact]
    public async Task A_stale_partition_epoch_changes_nothing_and_does_not_stop_the_other_partitions()
    {
        var controller = await ControllerAsync();
        var (id, _) = await CreateAsync(controller, "isr-stale", [0, 1, 2], [0, 2, 1]);
        using var conn = RawConnection.Open(controller.Port);
        Assert.Equal(0, (await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, 0, 0, [0, 1]))))).Topics[0].Partitions[0].ErrorCode);
        var before = Partition(controller, id, 0);
        Assert.Equal(1, before.PartitionEpoch);

        // Partition 0 is asked on the state before that change; partition 1 on its current state.
        var response = await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, 0, 0, [0]), Part(1, 0, 0, [0, 2]))));

        var results = Assert.Single(response.Topics).Partitions;
        Assert.Equal([(0, (short)ErrorCode.InvalidUpdateVersion), (1, (short)ErrorCode.None)], results.Select(r => (r.PartitionIndex, r.ErrorCode)));
        var after = Partition(controller, id, 0);
        Assert.Equal((before.Leader, before.LeaderEpoch, 1), (after.Leader, after.LeaderEpoch, after.PartitionEpoch));
        Assert.Equal([0, 1], after.Isr);
        Assert.Equal(1, results[1].PartitionEpoch);
        Assert.Equal([0, 2], results[1].Isr);
        Assert.Equal([0, 2], Partition(controller, id, 1).Isr);
    }

    [Fact]
    public async Task Only_the_active_controller_answers_and_only_the_current_leader_at_its_epochs()
    {
        var controller = await ControllerAsync();
        var (id, p) = await CreateAsync(controller, "isr-refused", [0, 1, 2]);
        var follower = fixture.Cluster.Hosts.First(h => h.NodeId != controller.NodeId);
        var shrink = Request(controller, 0, Topic(id, Part(0, 0, 0, [0, 1])));

        using (var toFollower = RawConnection.Open(follower.Port))
        {
            var refused = await SendAsync(toFollower, 2, shrink);
            Assert.Equal((short)ErrorCode.NotController, refused.ErrorCode);
            Assert.Empty(refused.Topics);
        }

        using var conn = RawConnection.Open(controller.Port);
        var stale = Request(controller, 0, Topic(id, Part(0, 0, 0, [0, 1])));
        stale.BrokerEpoch -= 1;
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, (await SendAsync(conn, 2, stale)).ErrorCode);

        var notLeader = await SendAsync(conn, 2, Request(controller, 1, Topic(id, Part(0, 0, 0, [1, 2]))));
        Assert.Equal((short)ErrorCode.InvalidRequest, notLeader.Topics[0].Partitions[0].ErrorCode);
        var oldEpoch = await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, -1, 0, [0, 1]))));
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, oldEpoch.Topics[0].Partitions[0].ErrorCode);
        var aheadEpoch = await SendAsync(conn, 2, Request(controller, 0, Topic(id, Part(0, 1, 0, [0, 1]))));
        Assert.Equal((short)ErrorCode.NotController, aheadEpoch.Topics[0].Partitions[0].ErrorCode);

        var after = Partition(controller, id, 0);
        Assert.Equal((p.Leader, p.LeaderEpoch, p.PartitionEpoch), (after.Leader, after.LeaderEpoch, after.PartitionEpoch));
        Assert.Equal([0, 1, 2], after.Isr);
    }

    /// <summary>The active controller, once its image has every broker registered and unfenced.</summary>
    private async Task<BrokerHost> ControllerAsync()
    {
        BrokerHost? found = null;
        await UntilAsync(() =>
        {
            found = fixture.Cluster.Controller;
            var brokers = found?.Metadata.Image.Brokers;
            return brokers is not null && brokers.Count == 3 && brokers.Values.All(b => !b.Fenced);
        }, "an active controller with three live brokers");
        return found!;
    }

    private static async Task<(Guid Id, PartitionMetadata Partition0)> CreateAsync(BrokerHost controller, string name, params int[][] replicas)
    {
        var id = Guid.NewGuid();
        var result = await controller.Services.Quorum!.Store.ProposeAsync(new CreateTopicRecord(name, id, [.. replicas], new Dictionary<string, string>()));
        Assert.Equal(ErrorCode.None, result.Error);
        return (id, Partition(controller, id, 0));
    }

    private static PartitionMetadata Partition(BrokerHost host, Guid id, int index) => host.Metadata.Image.Topic(id)!.Partitions[index];

    private async Task EveryBrokerSeesAsync(Guid id, int index, Func<PartitionMetadata, bool> done, string what) =>
        await UntilAsync(() => fixture.Cluster.Hosts.All(h => h.Metadata.Image.Topic(id) is { } t && done(t.Partitions[index])), what + " on every broker");

    private static AlterPartitionRequest Request(BrokerHost controller, int brokerId, AlterPartitionRequest.TopicData topic) => new()
    {
        BrokerId = brokerId,
        BrokerEpoch = controller.Metadata.Image.Brokers[brokerId].Epoch,
        Topics = [topic],
    };

    private static AlterPartitionRequest.TopicData Topic(Guid id, params AlterPartitionRequest.PartitionData[] partitions) =>
        new() { TopicId = id, Partitions = [.. partitions] };

    private static AlterPartitionRequest.PartitionData Part(int index, int leaderEpoch, int partitionEpoch, int[] isr) =>
        new() { PartitionIndex = index, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch, NewIsr = [.. isr] };

    private static Task<AlterPartitionResponse> SendAsync(RawConnection conn, short version, AlterPartitionRequest request) =>
        conn.RequestAsync<AlterPartitionRequest, AlterPartitionResponse>(ApiKey.AlterPartition, version, request);

    private static async Task UntilAsync(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > Deadline)
                throw new TimeoutException($"timed out after {Deadline.TotalSeconds} s waiting for {what}");
            await Task.Delay(50);
        }
    }
}
