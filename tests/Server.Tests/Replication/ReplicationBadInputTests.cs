using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// What replication must refuse with Kafka's errors, changing nothing: fetches posing as replicas, and acks=all on a
/// topic whose min.insync.replicas exceeds its replication factor (accepted at creation, as in Kafka).
/// </summary>
public sealed class ReplicationBadInputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_replica_fetch_from_a_broker_that_is_not_a_replica_or_from_a_client_posing_as_one_gets_nothing()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using (var admin = await KafkaAdminClient.ConnectAsync(bootstrap))
            (await admin.CreateTopicsAsync([new NewTopic("pair", 1, 2)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(bootstrap);
        var topic = await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("pair", refresh: true),
            t => t.Partitions.Single().Isr.Count == 2, "an RF 2 partition in sync");
        var p = topic.Partitions.Single();
        var outsider = Enumerable.Range(0, 3).Single(b => !p.Replicas.Contains(b));
        var leader = cluster.Hosts.Single(h => h.NodeId == p.LeaderId);
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1 }))
            await producer.ProduceAsync("pair", 0, null, "committed"u8.ToArray());
        var partition = leader.Services.Replicas.Get("pair", 0)!;
        var hw = partition.HighWatermark;

        using var conn = RawConnection.Open(leader.Port);
        var notReplica = await FetchAsync(conn, 11, topic.TopicId, replicaId: outsider, epoch: -1);
        var unknownBroker = await FetchAsync(conn, 11, topic.TopicId, replicaId: 7, epoch: -1);
        var staleEpoch = await FetchAsync(conn, 15, topic.TopicId, replicaId: p.Replicas.Single(r => r != p.LeaderId), epoch: 1);

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, notReplica.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, unknownBroker.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, staleEpoch.Responses[0].Partitions[0].ErrorCode);
        Assert.All([notReplica, unknownBroker, staleEpoch], r => Assert.Equal(0, r.Responses[0].Partitions[0].Records?.SizeInBytes ?? 0));
        // A follower position reported at offset 0 would have held the HW back (or moved the ISR): nothing changed.
        Assert.Equal(hw, partition.HighWatermark);
        Assert.Equal(2, partition.Role.Isr.Length);
    }

    [Fact]
    public async Task Min_insync_replicas_above_the_replication_factor_is_accepted_and_acks_all_then_fails()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using (var admin = await KafkaAdminClient.ConnectAsync(bootstrap))
        {
            var created = await admin.CreateTopicsAsync([new NewTopic("strict", 1, 2) { Configs = { ["min.insync.replicas"] = "3" } }]);
            created.ThrowIfAnyFailed();
        }
        var options = KafkaClientOptions.For(bootstrap.Split(','));
        options.MaxRetries = 0;
        await using var client = await KafkaCluster.ConnectAsync(options);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("strict", refresh: true),
            t => t.Partitions.Single().Isr.Count == 2, "an RF 2 partition in sync");
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1, Retries = 0 }))
        {
            var refused = await Assert.ThrowsAsync<KafkaException>(() => producer.ProduceAsync("strict", 0, null, "x"u8.ToArray()));
            Assert.Equal(ErrorCode.NotEnoughReplicas, refused.Code);
        }
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = 1 }))
            await producer.ProduceAsync("strict", 0, null, "y"u8.ToArray());
    }

    private static Task<FetchResponse> FetchAsync(RawConnection conn, short version, Guid topicId, int replicaId, long epoch)
    {
        var request = new FetchRequest
        {
            ReplicaId = version < 15 ? replicaId : -1,
            ReplicaState = version >= 15 ? new FetchRequest.ReplicaStateData { ReplicaId = replicaId, ReplicaEpoch = epoch } : new(),
            MaxWaitMs = 0,
            MinBytes = 1,
            MaxBytes = 1 << 20,
            Topics =
            [
                new FetchRequest.FetchTopic
                {
                    Topic = version < 13 ? "pair" : "",
                    TopicId = version >= 13 ? topicId : Guid.Empty,
                    Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }],
                },
            ],
        };
        return conn.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, version, request);
    }
}
