using System.Globalization;
using System.Text.Json;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Network;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.FollowerReads;

/// <summary>
/// Three broker processes in racks r0–r2 with Kafka's RackAwareReplicaSelector, and a librdkafka consumer
/// (confluent-kafka-python) whose client.rack is a follower's: it fetches from that follower (librdkafka's own
/// statistics name the broker), reads every record in order, and reads on across a kill -9 and restart of that
/// follower (records produced while it is down included) without losing or repeating a record. Then, on the same
/// cluster, an @confluentinc/kafka-javascript consumer (librdkafka 2.15.1) with the rack of a new topic's follower reads
/// from it, and when that follower is killed for good reads on from the leader, again without loss or repeats:
/// librdkafka 2.15 hands the partition back to the leader when the connection to its preferred replica fails
/// (rd_kafka_broker_fail() in src/rdkafka_broker.c), which 2.0.2 does not.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class FollowerFetchClusterTests(ITestOutputHelper output)
{
    private const int Half = 200;

    [Fact]
    public async Task A_librdkafka_consumer_reads_from_the_follower_in_its_rack_and_reads_on_without_loss_or_duplicates_across_its_kill_or_death()
    {
        var python = RepoPaths.RequirePython();
        await using var cluster = await BrokerCluster.StartAsync(3, output,
            new Dictionary<string, string>
            {
                ["replica.selector.class"] = ReadReplicaSelector.RackAwareClassName,
                ["broker.session.timeout.ms"] = "3000",
                ["broker.heartbeat.interval.ms"] = "500",
                ["offsets.topic.replication.factor"] = "3",
            },
            perBroker: i => new Dictionary<string, string> { ["broker.rack"] = "r" + i.ToString(CultureInfo.InvariantCulture) });
        await using var client = await KafkaCluster.ConnectAsync(cluster.BootstrapServers);
        var started = await StartConsumerReadingFromFollowerAsync(cluster, client, "near-", python, Path.Combine(RepoPaths.PythonDir, "follower_fetch.py"));
        using var consumer = started.Consumer;
        var (follower, go) = (started.Follower, started.Go);

        // librdkafka leaves a preferred replica only on a fetch error or after a 5-minute lease (a broker that is just
        // down gives neither), so the killed follower comes back: the consumer reads on from the cluster as it is.
        cluster.Brokers[follower].Kill();
        await File.WriteAllTextAsync(go, "");
        await cluster.Brokers[follower].RestartAsync();
        var summary = await EveryRecordOnceAsync(consumer);
        var after = summary.GetProperty("brokers_phase2").EnumerateArray().Select(b => b.GetInt32()).ToList();
        output.WriteLine($"fetched from {follower} (rack r{follower}); after its kill from {string.Join(',', after)}");
        Assert.Contains(after, b => b >= 0);

        await LibrdkafkaTwoFifteenLeavesADeadFollowerAsync(cluster, client);
    }

    private async Task LibrdkafkaTwoFifteenLeavesADeadFollowerAsync(BrokerCluster cluster, KafkaCluster client)
    {
        var node = RepoPaths.RequireTool("node");
        RepoPaths.RequireNodeModule("@confluentinc/kafka-javascript");
        var started = await StartConsumerReadingFromFollowerAsync(cluster, client, "near-js-", node, Path.Combine(RepoPaths.NodeDir, "follower_fetch.js"));
        using var consumer = started.Consumer;
        var (follower, go) = (started.Follower, started.Go);

        cluster.Brokers[follower].Kill();
        await File.WriteAllTextAsync(go, "");
        var summary = await EveryRecordOnceAsync(consumer);
        var last = summary.GetProperty("last_broker").GetInt32();
        output.WriteLine($"librdkafka {summary.GetProperty("librdkafka").GetString()}: fetched from {follower}, after its kill from " +
            $"{string.Join(',', summary.GetProperty("brokers_phase2").EnumerateArray().Select(b => b.GetInt32()))}, last from {last}");
        Assert.True(last >= 0 && last != follower, $"still fetching from the dead follower {follower} (last report: {last})");
    }

    /// <summary>
    /// An RF 3 topic of one partition in sync, and a consumer script whose client.rack is its first follower's: it has
    /// read the first half of the records from that follower when this returns; writing the "go" file lets it read on.
    /// </summary>
    private async Task<(RunningScript Consumer, int Follower, string Go)> StartConsumerReadingFromFollowerAsync(
        BrokerCluster cluster, KafkaCluster client, string prefix, string tool, string script)
    {
        var topic = prefix + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.BootstrapServers))
            (await admin.CreateTopicsAsync([new NewTopic(topic, 1, 3)])).ThrowIfAnyFailed();
        var partition = (await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(30), () => client.GetTopicAsync(topic, refresh: true),
            t => t.Partitions.Single().Isr.Count == 3, "an RF 3 partition in sync")).Partitions.Single();
        var follower = partition.Replicas.Where(r => r != partition.LeaderId).Min();
        var go = Path.Combine(cluster.Brokers[0].DataDir, "..", "go-" + topic);
        var consumer = RunningScript.Start(tool, [script, cluster.BootstrapServers, topic,
            "r" + follower.ToString(CultureInfo.InvariantCulture), Half.ToString(CultureInfo.InvariantCulture), go]);
        try
        {
            var phase1 = JsonDocument.Parse((await consumer.WaitForLineAsync("PHASE1 ", TimeSpan.FromSeconds(90)))["PHASE1 ".Length..]).RootElement;
            Assert.Equal(Half, phase1.GetProperty("read").GetInt32());
            Assert.Equal(follower, phase1.GetProperty("broker").GetInt32());
            return (consumer, follower, go);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>The script's summary, after checking that it read every record once, in order.</summary>
    private static async Task<JsonElement> EveryRecordOnceAsync(RunningScript consumer)
    {
        var exit = await consumer.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var summaryLine = consumer.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(exit == 0 && summaryLine is not null, $"consumer script failed ({exit})\n{consumer.Stdout}\n{consumer.Stderr}");
        var summary = JsonDocument.Parse(summaryLine!).RootElement;
        var values = summary.GetProperty("values").EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 2 * Half).Select(i => "m" + i.ToString(CultureInfo.InvariantCulture)), values);
        return summary;
    }
}
