namespace KafkaOperator.Server.Metrics.HotKeys;

/// <summary>
/// The hot-key sketch's parameters (broker keys <c>metrics.hotkey.*</c>, see <see cref="HotKeyConfig"/>); the
/// defaults keep the produce path within noise in <c>make bench</c>.
/// </summary>
/// <param name="SketchSize">Counters per partition: a key above 1/SketchSize of the partition's records is always held.</param>
/// <param name="SampleIntervalMs">At most one request per partition is read in this many milliseconds (0: every one); the rest are counted.</param>
/// <param name="SamplesPerBatch">Records read per sampled batch, evenly spaced; the others are stepped over.</param>
/// <param name="InflateEvery">Of the compressed batches read, the first and then one in this many are inflated.</param>
/// <param name="HalfLifeMs">Counts, records and bytes halve this often, so shares follow recent traffic.</param>
public sealed record HotKeyOptions(int SketchSize = 16, long SampleIntervalMs = 10, int SamplesPerBatch = 16, int InflateEvery = 32, long HalfLifeMs = 60_000)
{
    public static readonly HotKeyOptions Default = new();
}
