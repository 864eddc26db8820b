using System.Diagnostics;
using System.Globalization;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// What loading partition logs after kill -9 costs the storage layer alone (issue #12's restart): a log dir of
/// <c>partitions</c> logs in topics of 100, as a broker leaves them (most empty with a leader-epoch-checkpoint, every
/// <c>written</c>-th with one small batch, the log dir's checkpoint files written, no clean shutdown marker), then
/// <c>rounds</c> unclean loads of it, each timed. A load rewrites nothing, so every round sees the same files. Run it
/// under <c>strace -f -c</c> for the system calls per log. Prints wall ms, wall and CPU µs per log (CPU time: what a loaded machine stretches least), and the open files after load.
/// </summary>
public static class LogLoadProbe
{
    public static string Run(string? dir, int partitions, int written, int rounds, int heapMb = 0)
    {
        // A broker loads its logs beside its metadata image (hundreds of MB of small objects at 100,000 partitions):
        // a heap of that shape, kept alive, shows what the garbage collector then adds to the load.
        var heap = new List<object[]>();
        for (long b = 0; b < (long)heapMb << 20; b += 64 * 40)
        {
            var node = new object[4];
            for (var i = 0; i < 4; i++)
            {
                node[i] = new byte[24];
            }

            heap.Add(node);
        }

        var root = dir ?? Path.Combine(Path.GetTempPath(), "bench-logload-" + Guid.NewGuid().ToString("N"));
        var config = LogConfig.Default;
        var options = new LogManagerOptions { StartBackgroundJobs = false };
        var fresh = !Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any();
        try
        {
            var setupMs = 0L;
            if (fresh)
            {
                var setup = Stopwatch.StartNew();
                var manager = new LogManager([root], config, options);
                for (var p = 0; p < partitions; p++)
                {
                    var log = manager.GetOrCreateLog("topic-" + (p / 100).ToString("D5", CultureInfo.InvariantCulture), p % 100);
                    log.EpochCache.Assign(1, 0);
                    if (written > 0 && p % written == 0)
                    {
                        log.AppendAsLeader(Batch(), 1, TimestampType.CreateTime, 1);
                        log.HighWatermark = log.LogEndOffset;
                    }
                }

                // As the broker's checkpoint job would have; then abandoned, as kill -9 leaves it (no flush, no marker).
                manager.WriteCheckpoints();
                setupMs = setup.ElapsedMilliseconds;
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var fds = Directory.GetFiles("/proc/self/fd").Length;
            var times = new List<double>();
            var cpus = new List<double>();
            double pauseMs = 0, allocated = 0, retained = 0;
            var loaded = 0;
            var openAfter = 0;
            for (var r = 0; r < rounds; r++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var pause = GC.GetTotalPauseDuration();
                var bytes = GC.GetTotalAllocatedBytes(precise: true);
                var before = GC.GetTotalMemory(forceFullCollection: true);
                var watch = Stopwatch.StartNew();
                var manager = new LogManager([root], config, options);
                times.Add(watch.Elapsed.TotalMilliseconds);
                cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
                pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
                allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
                retained = GC.GetTotalMemory(forceFullCollection: true) - before;
                GC.KeepAlive(manager);
                loaded = manager.AllLogs.Count;
                openAfter = Directory.GetFiles("/proc/self/fd").Length - fds;
                // Abandoned, not disposed: a clean shutdown would write the marker and the next round would skip recovery.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            times.Sort();
            cpus.Sort();
            GC.KeepAlive(heap);
            var best = times[0];
            var median = times[times.Count / 2];
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"probe\":\"log-load\",\"partitions\":{loaded},\"written_every\":{written},\"setup_ms\":{setupMs},\"best_ms\":{best:F0},\"median_ms\":{median:F0},\"us_per_log_best\":{best * 1000 / Math.Max(1, loaded):F1},\"us_per_log_median\":{median * 1000 / Math.Max(1, loaded):F1},\"cpu_us_per_log_best\":{cpus[0] * 1000 / Math.Max(1, loaded):F1},\"cpu_us_per_log_median\":{cpus[cpus.Count / 2] * 1000 / Math.Max(1, loaded):F1},\"gc_pause_ms_last\":{pauseMs:F0},\"allocated_bytes_per_log_last\":{allocated / Math.Max(1, loaded):F0},\"retained_bytes_per_log_last\":{retained / Math.Max(1, loaded):F0},\"open_files_after_load\":{openAfter},\"heap_mb\":{heapMb},\"threads\":{Environment.ProcessorCount}}}");
        }
        finally
        {
            if (dir is null)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static byte[] Batch()
    {
        using var builder = new RecordBatchBuilder();
        builder.Add(1000, "k"u8.ToArray(), new byte[100]);
        return builder.ToArray();
    }
}
