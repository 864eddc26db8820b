using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// What one committed metadata batch costs a broker on a large image: the state machine's apply, the new image, and
/// the subscribers the broker runs on every commit (the replica manager and the config layer), for one
/// PartitionChangeRecord and for a batch of 1,000, on an image of topics × partitions (by default 1,000 × 100 and
/// 10 × 10,000: 100,000 partitions, RF 3 on brokers 0-2). The measured broker is node 3, which hosts none of them:
/// its cost is what the metadata layer adds, not opening logs. Also times lookups by name and by id in the image
/// (what every Metadata, Produce and Fetch request does). Best and median of the rounds, wall and process CPU time.
/// </summary>
public static class MetadataApplyProbe
{
    public static string Run(int rounds, string shapes)
    {
        var results = new List<string>();
        foreach (var shape in shapes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var x = shape.Split('x');
            results.Add(RunShape(int.Parse(x[0], CultureInfo.InvariantCulture), int.Parse(x[1], CultureInfo.InvariantCulture), rounds));
        }
        return "{" + string.Join(',', results) + "}";
    }

    private static string RunShape(int topics, int partitions, int rounds)
    {
        var dir = Path.Combine(Path.GetTempPath(), "bench-metadata-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var config = BrokerConfig.Create(new Dictionary<string, string>(StringComparer.Ordinal) { ["node.id"] = "3", ["log.dirs"] = dir });
            var store = new ProbeStore(Build(topics, partitions));
            using var replicas = new ReplicaManager(config, store);
            replicas.Start();
            new ConfigManager(config, store).LoadDynamic();
            var ids = store.Image.TopicsById.Keys.OrderBy(id => id).ToArray();
            var offset = 1_000_000L;
            var one = Measure(rounds, () => Changes(store.Image, ids, 1, ++offset), record => Commit(store, record, offset));
            var batch = Measure(rounds, () => Changes(store.Image, ids, 1000, ++offset), record => Commit(store, record, offset));
            var lookups = MeasureLookups(store.Image, replicas, ids);
            return string.Create(CultureInfo.InvariantCulture,
                $"\"{topics}x{partitions}\":{{\"one_change\":{one},\"batch_1000\":{batch},{lookups}}}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The image a controller would have after registering brokers 0-3 and creating the topics.</summary>
    private static MetadataImage Build(int topics, int partitions)
    {
        var machine = new MetadataStateMachine(MetadataImage.Empty);
        for (var b = 0; b < 4; b++)
        {
            machine.Apply(new RegisterBrokerRecord(b, [new EndpointRecord("PLAINTEXT", "127.0.0.1", 9092 + b)], null), b);
            machine.Apply(new UnfenceBrokerRecord(b, b), b);
        }
        for (var t = 0; t < topics; t++)
        {
            var replicas = Enumerable.Range(0, partitions).Select(p => new[] { (t + p) % 3, (t + p + 1) % 3, (t + p + 2) % 3 }).ToList();
            var id = new Guid(t + 1, 0, 0, new byte[8]);
            machine.Apply(new CreateTopicRecord("topic-" + t.ToString("D5", CultureInfo.InvariantCulture), id, replicas, []), 10 + t);
        }
        return machine.ToImage(0);
    }

    /// <summary><paramref name="count"/> ISR changes spread over the topics: each partition's last replica leaves or rejoins.</summary>
    private static MetadataRecord Changes(MetadataImage image, Guid[] ids, int count, long seed)
    {
        var records = new List<MetadataRecord>(count);
        var seen = new HashSet<(Guid, int)>();
        for (var i = 0; i < count; i++)
        {
            var topic = image.TopicsById[ids[(int)((seed + i) % ids.Length)]];
            var p = topic.Partitions[(int)((seed * 7919 + i) / ids.Length % topic.Partitions.Length)];
            if (!seen.Add((topic.TopicId, p.Partition)))
                continue;
            var isr = p.Isr.Length == p.Replicas.Length ? p.Replicas[..^1] : p.Replicas;
            records.Add(new PartitionChangeRecord(topic.TopicId, p.Partition, p.PartitionEpoch, null, isr));
        }
        return count == 1 ? records[0] : new BatchRecord(records);
    }

    private static void Commit(ProbeStore store, MetadataRecord record, long offset)
    {
        var machine = new MetadataStateMachine(store.Image);
        var result = machine.Apply(record, offset);
        if (result.Error != Protocol.ErrorCode.None)
            throw new InvalidDataException($"the probe's change did not apply: {result.Message}");
        store.Publish(machine.ToImage(0), machine.Delta);
    }

    /// <summary>Times <paramref name="commit"/> only: the records it commits are prepared before the clock starts.</summary>
    private static string Measure(int rounds, Func<MetadataRecord> prepare, Action<MetadataRecord> commit)
    {
        commit(prepare());
        var wall = new List<double>(rounds);
        var cpu = new List<double>(rounds);
        using var process = Process.GetCurrentProcess();
        for (var i = 0; i < rounds; i++)
        {
            var record = prepare();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            commit(record);
            wall.Add(watch.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }
        wall.Sort();
        cpu.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"best_ms\":{wall[0]:0.000},\"median_ms\":{wall[rounds / 2]:0.000},\"median_cpu_ms\":{cpu[rounds / 2]:0.000}}}");
    }

    /// <summary>
    /// Nanoseconds per lookup by name and by id, the best of five passes over every topic: in the image (Metadata,
    /// DescribeConfigs) and in the replica manager (every produce and fetch finds its partition there).
    /// </summary>
    private static string MeasureLookups(MetadataImage image, ReplicaManager replicas, Guid[] ids)
    {
        var names = ids.Select(id => image.TopicsById[id].Name).ToArray();
        var reps = Math.Max(1, 2_000_000 / ids.Length);
        var found = 0;
        var byName = Best(() =>
        {
            foreach (var name in names)
                found += image.Topic(name) is null ? 0 : 1;
        });
        var byId = Best(() =>
        {
            foreach (var id in ids)
                found += image.Topic(id) is null ? 0 : 1;
        });
        // Node 3 hosts none of the partitions: the lookup still finds the topic, then an empty slot.
        var hostedByName = Best(() =>
        {
            foreach (var name in names)
                found += replicas.GetHosted(name, 0) is null ? 0 : 1;
        });
        var hostedById = Best(() =>
        {
            foreach (var id in ids)
                found += replicas.GetHosted(id, 0) is null ? 0 : 1;
        });
        GC.KeepAlive(found);
        return string.Create(CultureInfo.InvariantCulture,
            $"\"lookup_by_name_ns\":{byName:0.0},\"lookup_by_id_ns\":{byId:0.0},\"replica_lookup_by_name_ns\":{hostedByName:0.0},\"replica_lookup_by_id_ns\":{hostedById:0.0}");

        double Best(Action pass)
        {
            var best = double.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var watch = Stopwatch.StartNew();
                for (var r = 0; r < reps; r++)
                    pass();
                best = Math.Min(best, watch.Elapsed.TotalNanoseconds / (reps * ids.Length));
            }
            return best;
        }
    }

    /// <summary>The store the subscribers follow: the probe publishes each new image itself, as the quorum's store would.</summary>
    private sealed class ProbeStore(MetadataImage image) : IMetadataStore
    {
        public string ClusterId => "bench";

        public int NodeId => 3;

        public MetadataImage Image { get; private set; } = image;

        public bool IsComplete => true;

        public event Action<MetadataImage, MetadataDelta>? Changed;

        public void Publish(MetadataImage image, MetadataDelta delta)
        {
            Image = image;
            Changed?.Invoke(image, delta);
        }

        public Task CreateTopicAsync(TopicMetadata topic, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DeleteTopicAsync(Guid topicId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task AddPartitionsAsync(Guid topicId, IReadOnlyList<PartitionMetadata> added, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetTopicConfigsAsync(Guid topicId, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetBrokerConfigsAsync(IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<long> AllocateProducerIdBlockAsync(int count, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
