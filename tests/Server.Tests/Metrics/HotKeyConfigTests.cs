using System.Buffers;
using System.Text;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Config;
using KafkaOperator.Server.Metrics.HotKeys;

namespace KafkaOperator.Server.Tests.Metrics;

/// <summary>The hot-key sketch's broker keys: defaults, validation, and what each one changes in a partition's sketch.</summary>
public sealed class HotKeyConfigTests
{
    [Fact]
    public void Defaults_are_the_documented_ones_and_set_values_reach_the_options()
    {
        Assert.Equal(HotKeyOptions.Default, HotKeyConfig.From(BrokerConfig.Create(new Dictionary<string, string>())));
        var set = HotKeyConfig.From(BrokerConfig.Create(new Dictionary<string, string>
        {
            [HotKeyConfig.SketchSizeKey] = "64",
            [HotKeyConfig.SampleIntervalKey] = "0",
            [HotKeyConfig.SamplesPerBatchKey] = "128",
            [HotKeyConfig.InflateEveryKey] = "1",
            [HotKeyConfig.HalfLifeKey] = "300000",
        }));
        Assert.Equal(new HotKeyOptions(64, 0, 128, 1, 300_000), set);
    }

    [Theory]
    [InlineData(HotKeyConfig.SketchSizeKey, "0", "Invalid value 0 for configuration metrics.hotkey.sketch.size: Value must be at least 1")]
    [InlineData(HotKeyConfig.SketchSizeKey, "5000", "Value must be no more than 1024")]
    [InlineData(HotKeyConfig.SketchSizeKey, "many", "Not a number of type INT")]
    [InlineData(HotKeyConfig.SampleIntervalKey, "-1", "metrics.hotkey.sample.interval.ms: Value must be at least 0")]
    [InlineData(HotKeyConfig.SamplesPerBatchKey, "0", "metrics.hotkey.samples.per.batch: Value must be at least 1")]
    [InlineData(HotKeyConfig.InflateEveryKey, "0", "metrics.hotkey.compressed.inflate.every: Value must be at least 1")]
    [InlineData(HotKeyConfig.HalfLifeKey, "10", "metrics.hotkey.half.life.ms: Value must be at least 1000")]
    [InlineData("metrics.lag.refresh.ms", "0", "metrics.lag.refresh.ms: Value must be at least 100")]
    public void Bad_values_stop_the_broker_naming_the_key_and_its_range(string key, string value, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => BrokerConfig.Create(new Dictionary<string, string> { [key] = value }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sketch_size_and_samples_per_batch_shape_the_sketch()
    {
        // Two counters: of three keys, two are held; each of 100 records is read when 100 samples are allowed.
        long now = 0;
        var stats = new PartitionKeyStats(new HotKeyOptions(SketchSize: 2, SampleIntervalMs: 0, SamplesPerBatch: 100), () => now);
        var keys = Enumerable.Range(0, 100).Select(i => Encoding.UTF8.GetBytes(i < 60 ? "a" : i < 80 ? "b" : "c")).ToList();
        stats.Observe(Batch(keys));
        stats.Observe(Batch(keys)); // the clock did not move, but interval 0 reads every request
        var s = stats.Snapshot();
        Assert.Equal(200, s.Records);
        Assert.Equal(0, s.Unsampled);
        Assert.Equal(2, s.Keys.Count);
        Assert.Equal("a", Encoding.UTF8.GetString(s.Keys[0].Prefix));
        Assert.Equal(120, s.Keys[0].Count - s.Keys[0].Error); // all 100 records of each batch read: a's count is exact

        // One sample per batch: it stands for the whole batch.
        var coarse = new PartitionKeyStats(new HotKeyOptions(SamplesPerBatch: 1, SampleIntervalMs: 0), () => now);
        coarse.Observe(Batch(keys));
        var c = coarse.Snapshot();
        Assert.Equal(100, c.Records);
        Assert.Equal(100, Assert.Single(c.Keys).Count);

        // A shorter half-life ages sooner.
        var quick = new PartitionKeyStats(new HotKeyOptions(HalfLifeMs: 1000), () => now);
        quick.Observe(Batch(keys));
        now += 1000;
        Assert.Equal(50, quick.Snapshot().Records);
    }

    private static byte[] Batch(IReadOnlyList<byte[]?> keys)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None);
        foreach (var key in keys)
            builder.Add(1_700_000_000_000, key, "v"u8.ToArray());
        var output = new ArrayBufferWriter<byte>();
        builder.WriteTo(output);
        return output.WrittenSpan.ToArray();
    }
}
