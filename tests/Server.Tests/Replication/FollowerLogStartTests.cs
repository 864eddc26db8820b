using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// Log start offsets across replicas, on three in-process brokers: DeleteRecords answers once every follower has
/// moved its log start (the low watermark), and a retention pass on the leader alone moves the followers' log start
/// too, through the fetch response's log_start_offset as in Kafka.
/// </summary>
public sealed class FollowerLogStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DeleteRecords_and_the_leaders_retention_move_every_followers_log_start()
    {
        await using var cluster = await InProcessCluster.StartAsync(3);
        var bootstrap = string.Join(',', cluster.Hosts.Select(h => $"127.0.0.1:{h.Port}"));
        await using var admin = await KafkaAdminClient.ConnectAsync(bootstrap);
        (await admin.CreateTopicsAsync([new NewTopic("lso")
        {
            ReplicaAssignment = new Dictionary<int, IReadOnlyList<int>> { [0] = [0, 1, 2] },
            Configs = { ["segment.bytes"] = "1024" },
        }])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(bootstrap);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => client.GetTopicAsync("lso", refresh: true),
            t => t.Partitions.Single().Isr.Count == 3 && t.Partitions.Single().LeaderId == 0, "broker 0 leading an RF 3 partition in sync");
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1 }))
        {
            // One batch each, about 170 bytes: several 1 KiB segments.
            for (var i = 0; i < 40; i++)
                await producer.ProduceAsync("lso", 0, null, new byte[100]);
        }
        var leader = cluster.Hosts[0].Services.Replicas.GetHosted("lso", 0)!;
        var followers = new[] { 1, 2 }.Select(i => cluster.Hosts[i].Services.Replicas.GetHosted("lso", 0)!).ToArray();
        foreach (var f in followers)
            await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => Task.FromResult(f.HighWatermark), hw => hw == 40, "a follower's HW at 40");
        Assert.All(followers, f => Assert.Equal(0, f.LogStartOffset));

        // DeleteRecords answers with the low watermark only once both followers report the new log start.
        var deleted = (await admin.DeleteRecordsAsync(new Dictionary<TopicPartition, long> { [new("lso", 0)] = 5 })).Single();
        Assert.True(deleted.Succeeded, deleted.Error?.Message);
        Assert.Equal(5, deleted.LowWatermark);
        Assert.Equal(5, leader.LogStartOffset);
        Assert.All(followers, f => Assert.Equal(5, f.LogStartOffset));
        Assert.Equal(5, leader.FollowerLogStartOffset(1));
        Assert.Equal(5, leader.FollowerLogStartOffset(2));
        Assert.Equal(5, leader.LowWatermark);

        // Retention on the leader: whole segments go, and the followers follow its new log start.
        (await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, IReadOnlyList<ConfigAlteration>>
        {
            [ConfigResource.Topic("lso")] = [new ConfigAlteration("retention.bytes", "2048")],
        })).ThrowIfAnyFailed();
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => Task.FromResult(leader.Log.Config.RetentionBytes),
            b => b == 2048, "retention.bytes applied on the leader");
        // The leader's retention pass (its background thread makes the first one 30 s after start, as Kafka does).
        Assert.True(leader.Log.DeleteOldSegments(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) > 0);
        var start = leader.LogStartOffset;
        Assert.True(start > 5);
        foreach (var f in followers)
        {
            await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => Task.FromResult(f.LogStartOffset),
                s => s == leader.LogStartOffset, "a follower's log start at the leader's");
        }
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(20), () => Task.FromResult(leader.LowWatermark),
            low => low == leader.LogStartOffset, "the leader's low watermark at its log start");
        Assert.True(leader.LogStartOffset >= start);
        Assert.All(followers, f => Assert.Equal(40, f.LogEndOffset));
    }
}
