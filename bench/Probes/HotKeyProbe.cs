using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Metrics.HotKeys;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// What the hot-key sketch adds to the produce path: <see cref="PartitionKeyStats.Observe"/> (the broker's own code,
/// compiled in from broker/Server) on batches shaped like producers' (100 B records 500 to a batch, 1 KiB records 16
/// to a batch, one record per batch), 70 % of records with one key. The yardstick is the CRC-32C check every batch
/// gets on the same path. Every batch is read, as if each came the sample interval after the last (the broker skips a
/// partition's requests within that interval, which costs a lock and a header read). Rounds alternate sketch / CRC so
/// machine noise hits both alike; each figure is the median
/// ns per batch and per record over the rounds, with the bytes allocated, and the load average before and after.
/// </summary>
public static class HotKeyProbe
{
    public static string Run(int rounds, int batchesPerRound)
    {
        var load = LoadAverage();
        var shapes = new (string Name, int Records, int ValueBytes)[] { ("100B_x500", 500, 100), ("1KiB_x16", 16, 1024), ("100B_x1", 1, 100) };
        var parts = new List<string>();
        foreach (var (name, count, valueBytes) in shapes)
        {
            var batches = Enumerable.Range(0, 64).Select(i => Batch(new Random(i), count, valueBytes)).ToArray();
            long tick = 0;
            var stats = new PartitionKeyStats(clockMs: () => tick += HotKeyOptions.Default.SampleIntervalMs); // every request read: the worst case
            var observe = new List<double>();
            var crc = new List<double>();
            long allocated = 0;
            uint sink = 0;
            for (var round = 0; round < rounds + 1; round++) // round 0 warms up the JIT
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < batchesPerRound; i++)
                    stats.Observe(batches[i & 63]);
                var observed = clock.Elapsed.TotalNanoseconds / batchesPerRound;
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
                clock.Restart();
                for (var i = 0; i < batchesPerRound; i++)
                    sink += RecordBatchHeader.CrcMatches(batches[i & 63]) ? 1u : 0u;
                var checksum = clock.Elapsed.TotalNanoseconds / batchesPerRound;
                if (round == 0)
                    continue;
                observe.Add(observed);
                crc.Add(checksum);
                allocated += bytes;
            }
            var o = Median(observe);
            var c = Median(crc);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"\"{name}\":{{\"sketch_ns_per_batch\":{o:0.0},\"sketch_ns_per_record\":{o / count:0.00},\"sketch_min_max\":[{observe.Min():0.0},{observe.Max():0.0}],\"crc32c_ns_per_batch\":{c:0.0},\"sketch_over_crc\":{o / c:0.00},\"bytes_allocated_per_batch\":{(double)allocated / ((long)rounds * batchesPerRound):0.00},\"top_share\":{TopicSkewReport.HotKeyShare([stats.Snapshot()]):0.00},\"crc_ok\":{(sink > 0 ? "true" : "false")}}}"));
        }
        return $"{{\"probe\":\"hotkeys\",\"rounds\":{rounds},\"batches_per_round\":{batchesPerRound},\"loadavg_before\":\"{load}\",\"loadavg_after\":\"{LoadAverage()}\",{string.Join(',', parts)}}}";
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static byte[] Batch(Random rng, int count, int valueBytes)
    {
        using var builder = new RecordBatchBuilder();
        var value = new byte[valueBytes];
        for (var i = 0; i < count; i++)
        {
            var key = rng.NextDouble() < 0.7 ? "customer-42" : string.Create(CultureInfo.InvariantCulture, $"customer-{rng.Next(100_000)}");
            builder.Add(1_700_000_000_000 + i, Encoding.UTF8.GetBytes(key), value);
        }
        var output = new ArrayBufferWriter<byte>();
        builder.WriteTo(output);
        return output.WrittenSpan.ToArray();
    }
}
