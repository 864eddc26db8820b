using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.FollowerReads;

/// <summary>
/// KIP-392 over raw Fetch requests on three in-process brokers in racks r0–r2: which replica the leader sends a
/// consumer to, and what a follower serves a consumer.
/// </summary>
public sealed class FollowerReadTests(ITestOutputHelper output)
{
    private static readonly string[] Racks = ["r0", "r1", "r2"];

    [Fact]
    public async Task The_leader_prefers_an_in_sync_replica_in_the_consumers_rack_and_that_follower_serves_up_to_its_high_watermark()
    {
        await using var cluster = await InProcessCluster.StartAsync(3,
            new Dictionary<string, string> { ["replica.selector.class"] = ReadReplicaSelector.RackAwareClassName },
            i => new Dictionary<string, string> { ["broker.rack"] = Racks[i] });
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using (var admin = await KafkaAdminClient.ConnectAsync(bootstrap))
            (await admin.CreateTopicsAsync([new NewTopic("near", 1, 3)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(bootstrap);
        var topic = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("near", refresh: true),
            t => t.Partitions.Single().Isr.Count == 3, "an RF 3 partition in sync");
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1 }))
        {
            for (var i = 0; i < 5; i++)
                await producer.ProduceAsync("near", 0, null, [(byte)i]);
        }
        var p = topic.Partitions.Single();
        var leader = cluster.Hosts.Single(h => h.NodeId == p.LeaderId);
        var followerIds = p.Replicas.Where(r => r != p.LeaderId).Order().ToArray();
        var follower = cluster.Hosts.Single(h => h.NodeId == followerIds[0]);
        var followerReplica = follower.Services.Replicas.GetHosted("near", 0)!;
        // The follower learns the HW on its next fetch; and the leader must have seen both followers at the end.
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => Task.FromResult(followerReplica.HighWatermark),
            hw => hw == 5, "the follower's HW at 5");
        var epoch = followerReplica.LeaderEpoch;

        using (var conn = RawConnection.Open(leader.Port))
        {
            var sent = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20),
                async () => (await FetchAsync(conn, 11, topic.TopicId, 0, Racks[follower.NodeId])).Responses[0].Partitions[0],
                d => d.PreferredReadReplica == follower.NodeId, "the leader sending the consumer to its rack's follower");
            Assert.Equal(0, sent.ErrorCode);
            Assert.Equal(5, sent.HighWatermark);
            Assert.Equal(0, sent.Records?.SizeInBytes ?? 0);

            foreach (var rack in new[] { Racks[leader.NodeId], "elsewhere", "" })
            {
                var own = (await FetchAsync(conn, 16, topic.TopicId, 0, rack)).Responses[0].Partitions[0];
                Assert.Equal(-1, own.PreferredReadReplica);
                Assert.True(own.Records!.SizeInBytes > 0);
            }
        }

        using (var conn = RawConnection.Open(follower.Port))
        {
            // Before v11 a consumer sends no client metadata and may read from the leader only (as Kafka).
            var old = (await FetchAsync(conn, 10, topic.TopicId, 0, "")).Responses[0].Partitions[0];
            Assert.Equal((short)ErrorCode.NotLeaderOrFollower, old.ErrorCode);

            var read = (await FetchAsync(conn, 11, topic.TopicId, 0, Racks[follower.NodeId], epoch)).Responses[0].Partitions[0];
            Assert.Equal(0, read.ErrorCode);
            Assert.Equal(5, read.HighWatermark);
            Assert.Equal(-1, read.PreferredReadReplica);
            Assert.True(read.Records!.SizeInBytes > 0);

            var atEnd = (await FetchAsync(conn, 11, topic.TopicId, 5, "")).Responses[0].Partitions[0];
            Assert.Equal(0, atEnd.ErrorCode);
            Assert.Equal(0, atEnd.Records?.SizeInBytes ?? 0);

            var beyond = (await FetchAsync(conn, 11, topic.TopicId, 7, "")).Responses[0].Partitions[0];
            Assert.Equal((short)ErrorCode.OffsetOutOfRange, beyond.ErrorCode);

            var newer = (await FetchAsync(conn, 11, topic.TopicId, 0, "", epoch + 1)).Responses[0].Partitions[0];
            Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, newer.ErrorCode);
        }

        // The follower stops (controlled shutdown): out of the ISR, the leader stops sending consumers to it.
        await follower.DisposeAsync();
        var leaderReplica = leader.Services.Replicas.Get("near", 0)!;
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(30), () => Task.FromResult(leaderReplica.Role.Isr),
            isr => !isr.Contains(follower.NodeId), "the stopped follower out of the ISR");
        using (var conn = RawConnection.Open(leader.Port))
        {
            var back = (await FetchAsync(conn, 11, topic.TopicId, 0, Racks[follower.NodeId])).Responses[0].Partitions[0];
            Assert.Equal(0, back.ErrorCode);
            Assert.Equal(-1, back.PreferredReadReplica);
            Assert.True(back.Records!.SizeInBytes > 0);
        }
    }

    [Fact]
    public async Task Without_replica_selector_class_the_leader_never_prefers_another_replica()
    {
        await using var cluster = await InProcessCluster.StartAsync(2, perBroker: i => new Dictionary<string, string> { ["broker.rack"] = Racks[i] });
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using (var admin = await KafkaAdminClient.ConnectAsync(bootstrap))
            (await admin.CreateTopicsAsync([new NewTopic("plain", 1, 2)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(bootstrap);
        var topic = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("plain", refresh: true),
            t => t.Partitions.Single().Isr.Count == 2, "an RF 2 partition in sync");
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1 }))
            await producer.ProduceAsync("plain", 0, null, "x"u8.ToArray());
        var p = topic.Partitions.Single();
        var leader = cluster.Hosts.Single(h => h.NodeId == p.LeaderId);
        var otherRack = Racks[p.Replicas.Single(r => r != p.LeaderId)];
        using var conn = RawConnection.Open(leader.Port);
        var data = (await FetchAsync(conn, 11, topic.TopicId, 0, otherRack, topic: "plain")).Responses[0].Partitions[0];
        Assert.Equal(-1, data.PreferredReadReplica);
        Assert.True(data.Records!.SizeInBytes > 0);
    }

    private static Task<FetchResponse> FetchAsync(RawConnection conn, short version, Guid topicId, long offset, string rack, int leaderEpoch = -1, string topic = "near")
    {
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = 0,
            MinBytes = 1,
            MaxBytes = 1 << 20,
            RackId = rack,
            Topics =
            [
                new FetchRequest.FetchTopic
                {
                    Topic = version < 13 ? topic : "",
                    TopicId = version >= 13 ? topicId : Guid.Empty,
                    Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, CurrentLeaderEpoch = leaderEpoch, PartitionMaxBytes = 1 << 20 }],
                },
            ],
        };
        return conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, version, request);
    }
}
