using System.Text;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Replication;

/// <summary>
/// Three real broker processes, RF 3, min.insync.replicas 2: followers copy their leaders, acks=all waits for the
/// ISR, and a leader killed with kill -9 loses nothing a producer was told is safe.
/// </summary>
public sealed class ReplicationClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["broker.session.timeout.ms"] = "3000",
        ["broker.heartbeat.interval.ms"] = "500",
        ["min.insync.replicas"] = "2",
        ["offsets.topic.replication.factor"] = "3",
        ["offsets.topic.num.partitions"] = "3",
        ["replica.lag.time.max.ms"] = "5000",
    };

    private Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.WaitForAsync(output, Deadline, read, done, what);

    [Fact]
    public async Task Acknowledged_records_survive_the_kill_of_their_leader()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        const string Topic = "replicated";
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
            (await admin.CreateTopicsAsync([new NewTopic(Topic, 3, 3)])).ThrowIfAnyFailed();

        await using var client = await KafkaCluster.ConnectAsync(KafkaClientOptions.For([.. cluster.Brokers.Select(b => b.BootstrapServers)]));
        var placed = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.Count == 3 && t.Partitions.All(p => p.Isr.Count == 3 && p.LeaderId >= 0), "RF 3 partitions with a full ISR");
        Assert.All(placed.Partitions, p => Assert.Equal(3, p.Replicas.Distinct().Count()));
        Assert.Equal([0, 1, 2], placed.Partitions.Select(p => p.LeaderId).Order());

        var acknowledged = new List<string>();
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1, EnableIdempotence = true }))
        {
            for (var i = 0; i < 300; i++)
            {
                var value = $"v-{i}";
                await producer.ProduceAsync(Topic, i % 3, null, Encoding.UTF8.GetBytes(value));
                acknowledged.Add(value);
            }
        }

        var victim = placed.Partitions[0].LeaderId;
        cluster.Brokers[victim].Kill();
        var moved = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.All(p => p.LeaderId >= 0 && p.LeaderId != victim && !p.Isr.Contains(victim)), $"leaders off the killed broker {victim}");
        Assert.All(moved.Partitions, p => Assert.Equal(2, p.Isr.Count));
        Assert.True(moved.Partitions[0].LeaderEpoch > placed.Partitions[0].LeaderEpoch);

        // The ISR is still at min.insync.replicas: acks=all keeps working on every partition.
        await using (var producer = await KafkaProducer.CreateAsync(client, new KafkaProducerOptions { Acks = -1 }))
        {
            for (var i = 300; i < 330; i++)
            {
                var value = $"v-{i}";
                await producer.ProduceAsync(Topic, i % 3, null, Encoding.UTF8.GetBytes(value));
                acknowledged.Add(value);
            }
        }

        var read = await ReadAllAsync(client, Topic, acknowledged.Count);
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));

        // The killed broker comes back, catches up and rejoins every ISR.
        await cluster.Brokers[victim].RestartAsync();
        await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.All(p => p.Isr.Count == 3), "the restarted broker back in every ISR");
    }

    [Fact]
    public async Task Acks_all_is_refused_below_min_insync_replicas_and_acks_1_is_not()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, Settings);
        const string Topic = "min-isr";
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
            (await admin.CreateTopicsAsync([new NewTopic(Topic, 1, 2)])).ThrowIfAnyFailed();
        await using var client = await KafkaCluster.ConnectAsync(KafkaClientOptions.For([.. cluster.Brokers.Select(b => b.BootstrapServers)]));
        var placed = await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.Single().Isr.Count == 2, "an RF 2 partition in sync");
        var follower = placed.Partitions[0].Replicas.Single(r => r != placed.Partitions[0].LeaderId);

        cluster.Brokers[follower].Kill();
        await WaitForAsync(() => client.GetTopicAsync(Topic, refresh: true),
            t => t.Partitions.Single().Isr.Count == 1, "the ISR without the killed follower");

        var options = KafkaClientOptions.For([.. cluster.Brokers.Where(b => b.IsRunning).Select(b => b.BootstrapServers)]);
        options.MaxRetries = 0;
        await using var strict = await KafkaCluster.ConnectAsync(options);
        await using (var producer = await KafkaProducer.CreateAsync(strict, new KafkaProducerOptions { Acks = -1, Retries = 0 }))
        {
            var refused = await Assert.ThrowsAsync<KafkaException>(() => producer.ProduceAsync(Topic, 0, null, "x"u8.ToArray()));
            Assert.Equal(KafkaOperator.Protocol.ErrorCode.NotEnoughReplicas, refused.Code);
        }
        await using (var producer = await KafkaProducer.CreateAsync(strict, new KafkaProducerOptions { Acks = 1 }))
            await producer.ProduceAsync(Topic, 0, null, "y"u8.ToArray());
    }

    private static async Task<List<string>> ReadAllAsync(KafkaCluster client, string topic, int expected)
    {
        await using var consumer = new KafkaConsumer(client);
        await consumer.AssignTopicAsync(topic);
        var values = new List<string>();
        using var cts = new CancellationTokenSource(Deadline);
        while (values.Count < expected)
        {
            foreach (var r in await consumer.FetchAsync(cts.Token))
                values.Add(Encoding.UTF8.GetString(r.Value!));
        }
        // Nothing more than what was acknowledged (no duplicates from retries): one more fetch finds nothing.
        using var more = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            foreach (var r in await consumer.FetchAsync(more.Token))
                values.Add(Encoding.UTF8.GetString(r.Value!));
        }
        catch (OperationCanceledException)
        {
            // Nothing more arrived.
        }
        return values;
    }
}
