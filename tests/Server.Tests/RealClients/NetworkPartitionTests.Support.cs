using System.Globalization;
using System.Text;
using System.Text.Json;
using KafkaOperator.Client;
using KafkaOperator.Client.Admin;
using KafkaOperator.Client.Consumer;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Tests.Infrastructure;

namespace KafkaOperator.Server.Tests.RealClients;

public sealed partial class NetworkPartitionTests
{
    private string _lastNoted = "";

    private readonly record struct Ack(int Partition, long Offset, long Time);

    private static string AckPath(BrokerCluster cluster, string name) => Path.Combine(cluster.Brokers[0].DataDir, "..", name);

    /// <summary>The storm's acknowledgements so far ("partition offset i time-ms" lines; a torn last line is skipped).</summary>
    private static List<Ack> ReadAcks(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = new StreamReader(stream).ReadToEnd();
        var lines = text.Split('\n');
        return lines.Take(lines.Length - 1)
            .Select(l => l.Split(' '))
            .Select(f => new Ack(int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                long.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>Per partition, the longest time without an acknowledgement after the cut (how long its writes stalled).</summary>
    private static string Gaps(string acks, long cutAt) => string.Join(", ", ReadAcks(acks).GroupBy(a => a.Partition).OrderBy(g => g.Key)
        .Select(g =>
        {
            var times = g.Select(a => a.Time).Where(t => t >= cutAt).Order().Prepend(cutAt).ToList();
            var gap = times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
            return $"p{g.Key} {gap} ms";
        }));

    /// <summary>Latest offsets (the high watermark) as the broker <paramref name="view"/> is connected to reports them.</summary>
    private static async Task<Dictionary<int, long>> HighWatermarksAsync(KafkaCluster view, string topic, IEnumerable<int> partitions)
    {
        await using var admin = new KafkaAdminClient(view);
        var offsets = await admin.ListOffsetsAsync(partitions.Select(p => new TopicPartition(topic, p)), OffsetSpec.Latest);
        return offsets.ToDictionary(o => o.Partition.Partition, o => o.Error is null ? o.Offset : throw o.Error);
    }

    /// <summary>One acks=all record sent to <paramref name="broker"/> itself with a 2 s timeout; its error code.</summary>
    /// <summary>
    /// An acks=all write to the broker the controller names as leader, retried while that broker has not yet applied
    /// the change (NOT_LEADER_OR_FOLLOWER), as a client would retry it.
    /// </summary>
    private async Task<ErrorCode> ProduceUntilLeaderAsync(KafkaCluster view, int broker, string topic, int partition, string value)
    {
        var error = ErrorCode.NotLeaderOrFollower;
        await Eventually.WaitForAsync(output, Deadline, async () => error = await ProduceToAsync(view, broker, topic, partition, value),
            e => e != ErrorCode.NotLeaderOrFollower, $"broker {broker} leading {topic}-{partition}");
        return error;
    }

    private static async Task<ErrorCode> ProduceToAsync(KafkaCluster view, int broker, string topic, int partition, string value)
    {
        byte[] batch;
        using (var builder = new RecordBatchBuilder())
        {
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value));
            batch = builder.ToArray();
        }

        var connection = await view.GetConnectionAsync(broker);
        var response = await connection.SendAsync<ProduceRequest, ProduceResponse>(new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 2000,
            TopicData = [new() { Name = topic, PartitionData = [new() { Index = partition, Records = new MemoryRecordSet(batch) }] }],
        });
        return (ErrorCode)response.Responses[0].PartitionResponses[0].ErrorCode;
    }

    /// <summary>Logs each partition's leader, epoch and ISR once they change: what a wait that times out last saw.</summary>
    private TopicMetadata Note(TopicMetadata topic)
    {
        var text = string.Join(" ", topic.Partitions.Select(p => $"p{p.Partition}:{p.LeaderId}@{p.LeaderEpoch}[{string.Join(',', p.Isr)}]"));
        if (text != _lastNoted)
            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {topic.Name}: {text}");
        _lastNoted = text;
        return topic;
    }

    /// <summary>Every value in a partition, read from its leader up to the high watermark.</summary>
    private static async Task<List<string>> ReadValuesAsync(KafkaCluster view, string topic, int partition)
    {
        await using var consumer = new KafkaConsumer(view);
        consumer.Assign(topic, partition);
        var values = new List<string>();
        using var deadline = new CancellationTokenSource(Deadline);
        while (!consumer.HighWatermarks.TryGetValue((topic, partition), out var hw) || consumer.Positions[(topic, partition)] < hw)
        {
            foreach (var record in await consumer.FetchAsync(deadline.Token))
                values.Add(Encoding.UTF8.GetString(record.Value ?? []));
        }

        return values;
    }

    /// <summary>
    /// Followers append the leader's batches as they are, so once writes stop every replica's segments, read end to
    /// end, must hold the same bytes: an old leader that kept records the others never had (not truncated after the
    /// cut) would differ forever.
    /// </summary>
    private async Task AssertReplicasIdenticalAsync(BrokerCluster cluster, IReadOnlyList<(string Topic, int Partitions)> topics)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var differing = topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => $"{t.Topic}-{p}"))
                .Select(dir => (dir, copies: cluster.Brokers.Select(b => ReplicaBytes(Path.Combine(b.DataDir, dir))).ToList()))
                .Where(x => x.copies.Any(c => !c.AsSpan().SequenceEqual(x.copies[0])))
                .Select(x => $"{x.dir}: {string.Join(" / ", x.copies.Select(c => c.Length))} bytes")
                .ToList();
            if (differing.Count == 0)
                return;
            if (DateTime.UtcNow > until)
                Assert.Fail($"replicas still differ after {Deadline.TotalSeconds} s: {string.Join("; ", differing)}");
            output.WriteLine($"replicas differ (yet): {string.Join("; ", differing)}");
            await Task.Delay(200);
        }
    }

    private static byte[] ReplicaBytes(string dir)
    {
        using var all = new MemoryStream();
        foreach (var segment in Directory.GetFiles(dir, "*.log").Order(StringComparer.Ordinal))
        {
            using var file = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            file.CopyTo(all);
        }

        return all.ToArray();
    }

    /// <summary>The storm's own output joins a timeout's message: what librdkafka was doing meanwhile.</summary>
    private static async Task<T> WithStormOutput<T>(RunningScript storm, Task<T> wait)
    {
        try
        {
            return await wait;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nstorm stdout:\n{DurabilityStorm.Tail(storm.Stdout)}\nstorm stderr:\n{DurabilityStorm.Tail(storm.Stderr, 20_000)}", e);
        }
    }

    /// <summary>
    /// One client per broker that talks to that broker only, so the test reads each broker's own metadata (an
    /// isolated broker keeps answering from what it last knew).
    /// </summary>
    private sealed class Views : IAsyncDisposable
    {
        private readonly KafkaCluster[] _clients;

        private Views(KafkaCluster[] clients) => _clients = clients;

        public static async Task<Views> ConnectAsync(BrokerCluster cluster) =>
            new(await Task.WhenAll(cluster.Brokers.Select(b => KafkaCluster.ConnectAsync(b.BootstrapServers))));

        public KafkaCluster Of(int broker) => _clients[broker];

        public Task<TopicMetadata> TopicAsync(int broker, string topic) => _clients[broker].GetTopicAsync(topic, refresh: true);

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
                await client.DisposeAsync();
        }
    }
}
