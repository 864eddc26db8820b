using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Metrics.HotKeys;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>The hot-key sketch: Space-Saving's guarantees, keys read in place from record batches, decay, bad input.</summary>
public sealed class HotKeySketchTests
{
    private static readonly FsCheck.Config Runs = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Every_key_above_total_over_capacity_is_held_with_bounded_error()
    {
        var streams = from capacity in Gen.Choose(1, 12)
                      from keys in Gen.Choose(1, 40)
                      from skew in Gen.Choose(0, 3)
                      from stream in Gen.ListOf(Gen.Choose(0, keys - 1).Select(k => skew == 0 ? k : k % (keys / (skew + 1) + 1)))
                      from weights in Gen.ArrayOf(Gen.Choose(1, 5), stream.Count)
                      select (capacity, stream, weights);
        Check.One(Runs, Prop.ForAll(streams.ToArbitrary(), t =>
        {
            var (capacity, stream, weights) = t;
            var sketch = new KeySketch(capacity);
            var truth = new Dictionary<int, long>();
            for (var i = 0; i < stream.Count; i++)
            {
                var key = BitConverter.GetBytes(stream[i]);
                sketch.Add((ulong)stream[i] * 0x9E3779B97F4A7C15UL, key, key.Length, weights[i]);
                truth[stream[i]] = truth.GetValueOrDefault(stream[i]) + weights[i];
            }
            var total = weights.Sum(w => (long)w);
            var held = sketch.Top(capacity).ToDictionary(h => BitConverter.ToInt32(h.Prefix));
            foreach (var (key, count) in truth)
            {
                if (count * capacity > total)
                    Assert.True(held.ContainsKey(key), $"key {key} with {count} of {total} (capacity {capacity}) was not held");
                if (held.TryGetValue(key, out var h))
                    Assert.InRange(count, h.Count - h.Error, h.Count);
            }
        }));
    }

    [Fact]
    public void Shares_are_read_from_record_batches_keyless_records_count_but_hold_no_key()
    {
        var stats = new PartitionKeyStats(clockMs: Ticking());
        var rng = new Random(7);
        for (var b = 0; b < 50; b++)
        {
            // 10 records per batch: every record is sampled. 7 with the hot key, 2 distinct keys, 1 without a key.
            var keys = new List<byte[]?> { null };
            for (var i = 0; i < 7; i++)
                keys.Add("hot"u8.ToArray());
            keys.Add(Encoding.UTF8.GetBytes($"cold-{rng.Next(1000)}"));
            keys.Add(Encoding.UTF8.GetBytes($"cold-{rng.Next(1000)}"));
            stats.Observe(Batch([.. keys.OrderBy(_ => rng.Next())]));
        }
        var s = stats.Snapshot();
        Assert.Equal(500, s.Records);
        Assert.Equal(50, s.Keyless);
        Assert.Equal(0, s.Unsampled);
        Assert.Equal("hot", Encoding.UTF8.GetString(s.Keys[0].Prefix));
        Assert.Equal(350, s.Keys[0].Count - s.Keys[0].Error);
        Assert.Equal(0.7, TopicSkewReport.HotKeyShare([s]), 2);
    }

    [Fact]
    public void Large_batches_are_sampled_and_each_sample_stands_for_its_stride()
    {
        var stats = new PartitionKeyStats(clockMs: Ticking());
        var rng = new Random(3);
        for (var b = 0; b < 200; b++)
            stats.Observe(Batch([.. Enumerable.Range(0, 500).Select(_ => rng.NextDouble() < 0.7 ? "hot"u8.ToArray() : Encoding.UTF8.GetBytes($"k{rng.Next(10_000)}"))]));
        var s = stats.Snapshot();
        Assert.Equal(100_000, s.Records);
        Assert.InRange(TopicSkewReport.HotKeyShare([s]), 0.6, 0.8);

        var uniform = new PartitionKeyStats(clockMs: Ticking());
        for (var b = 0; b < 200; b++)
            uniform.Observe(Batch([.. Enumerable.Range(0, 500).Select(_ => Encoding.UTF8.GetBytes($"k{rng.Next(10_000)}"))]));
        Assert.InRange(TopicSkewReport.HotKeyShare([uniform.Snapshot()]), 0, 0.05);
    }

    [Fact]
    public void Huge_keys_keep_their_length_and_a_prefix_and_compressed_batches_are_sampled_one_in_n()
    {
        var stats = new PartitionKeyStats(clockMs: Ticking());
        var huge = new byte[200_000];
        Random.Shared.NextBytes(huge);
        stats.Observe(Batch([huge, huge]));
        var s = stats.Snapshot();
        Assert.Equal(2, s.Records);
        var top = Assert.Single(s.Keys);
        Assert.Equal(huge.Length, top.KeyLength);
        Assert.Equal(huge.AsSpan(0, KeySketch.PrefixBytes).ToArray(), top.Prefix);

        // Compressed batches: the first and then one in InflateEvery are inflated and sampled, the rest only counted.
        var compressed = new PartitionKeyStats(clockMs: Ticking());
        var gzip = Batch(["a"u8.ToArray(), "a"u8.ToArray(), "b"u8.ToArray()], CompressionType.Gzip);
        for (var i = 0; i < HotKeyOptions.Default.InflateEvery + 1; i++)
            compressed.Observe(gzip);
        s = compressed.Snapshot();
        Assert.Equal(3 * (HotKeyOptions.Default.InflateEvery + 1), s.Records); // the second inflated batch stands for the 31 skipped
        Assert.Equal(0, s.Unsampled);
        Assert.Equal("a", Encoding.UTF8.GetString(s.Keys[0].Prefix));
        Assert.Equal(2 + (2 * HotKeyOptions.Default.InflateEvery), s.Keys[0].Count);

        // A compressed batch that does not inflate is counted, not read.
        var corrupt = new PartitionKeyStats(clockMs: Ticking());
        gzip.AsSpan(RecordBatchHeader.Size).Fill(0x42);
        corrupt.Observe(gzip);
        Assert.Equal(3, corrupt.Snapshot().Unsampled);
    }

    [Fact]
    public void Counts_halve_every_half_life_and_old_traffic_is_forgotten()
    {
        long now = 0;
        var stats = new PartitionKeyStats(clockMs: () => now);
        stats.Observe(Batch([.. Enumerable.Range(0, 8).Select(_ => "old"u8.ToArray())]));
        now += HotKeyOptions.Default.HalfLifeMs;
        var s = stats.Snapshot();
        Assert.Equal(4, s.Records);
        Assert.Equal(4, s.Keys[0].Count);
        stats.Observe(Batch([.. Enumerable.Range(0, 12).Select(_ => "new"u8.ToArray())]));
        s = stats.Snapshot();
        Assert.Equal("new", Encoding.UTF8.GetString(s.Keys[0].Prefix));
        Assert.Equal(0.75, TopicSkewReport.HotKeyShare([s]), 2);
        now += 40 * HotKeyOptions.Default.HalfLifeMs;
        s = stats.Snapshot();
        Assert.Equal(0, s.Records);
        Assert.Empty(s.Keys);
    }

    [Fact]
    public void Truncated_or_garbage_batches_are_skipped_without_throwing()
    {
        var stats = new PartitionKeyStats(clockMs: Ticking());
        var batch = Batch(["k"u8.ToArray(), "k"u8.ToArray()]);
        for (var cut = 0; cut < batch.Length; cut++)
            stats.Observe(batch.AsSpan(0, cut));
        var garbage = new byte[300];
        new Random(1).NextBytes(garbage);
        stats.Observe(garbage);
        batch.AsSpan(RecordBatchHeader.Size).Fill(0xFF); // varints that never end
        stats.Observe(batch);
        Assert.True(stats.Snapshot().Records <= 2);
    }

    [Fact]
    public void Requests_within_the_sample_interval_are_counted_and_accounted_for_by_the_next_sample()
    {
        long now = 0;
        var stats = new PartitionKeyStats(clockMs: () => now);
        var hot = Batch([.. Enumerable.Range(0, 10).Select(_ => "hot"u8.ToArray())]);
        for (var i = 0; i < 10; i++)
            stats.Observe(hot); // one sampled, nine skipped: the clock did not move
        var s = stats.Snapshot();
        Assert.Equal(10, s.Records);
        Assert.Equal(90, s.Unsampled);
        Assert.Equal(10 * hot.Length, s.Bytes);
        now += HotKeyOptions.Default.SampleIntervalMs;
        stats.Observe(hot);
        s = stats.Snapshot();
        Assert.Equal(110, s.Records);
        Assert.Equal(0, s.Unsampled);
        Assert.Equal(110, s.Keys[0].Count);
    }

    [Fact]
    public void Byte_skew_is_the_largest_partition_over_the_mean()
    {
        Assert.Equal(1.0, TopicSkewReport.BytesSkew([100, 100, 100]));
        Assert.Equal(3.0, TopicSkewReport.BytesSkew([300, 0, 0]));
        Assert.Equal(0.0, TopicSkewReport.BytesSkew([0, 0]));
    }

    /// <summary>A clock that moves one sample interval per call: every request is read.</summary>
    private static Func<long> Ticking()
    {
        long now = 0;
        return () => now += HotKeyOptions.Default.SampleIntervalMs;
    }

    private static byte[] Batch(IReadOnlyList<byte[]?> keys, CompressionType compression = CompressionType.None)
    {
        using var builder = new RecordBatchBuilder(compression);
        foreach (var key in keys)
            builder.Add(1_700_000_000_000, key, "v"u8.ToArray());
        var output = new ArrayBufferWriter<byte>();
        builder.WriteTo(output);
        return output.WrittenSpan.ToArray();
    }
}
