using System.Diagnostics;
using KafkaOperator.Protocol.Records;
using Xunit.Abstractions;

namespace KafkaOperator.Storage.Tests;

[Collection(OpenFileCounts.Name)]
public sealed class ManyPartitionsTests(ITestOutputHelper output)
{
    private static int OpenFds() => Directory.GetFiles("/proc/self/fd").Length;

    [Fact]
    public void TenThousandPartitionsKeepOpenFilesBounded()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        const int Partitions = 10_000;
        const int Cap = 1000;
        using var dir = new TempDir();
        var baseline = OpenFds();
        var sw = Stopwatch.StartNew();
        var manager = new LogManager([dir.Path], LogConfig.Default, new LogManagerOptions { StartBackgroundJobs = false, MaxOpenInactiveFiles = Cap });
        var batch = Batches.Make(1);
        for (var p = 0; p < Partitions; p++)
        {
            _ = manager.GetOrCreateLog("many", p);
        }

        var created = sw.ElapsedMilliseconds;
        var afterCreate = OpenFds() - baseline;

        // Roll some partitions (more than the cap) and read their now inactive first segments: handles open
        // lazily and the LRU closes the idle ones over the cap.
        sw.Restart();
        var rolled = manager.AllLogs.Take(Cap + 500).ToList();
        foreach (var log in rolled)
        {
            log.AppendAsLeader(batch.ToArray(), -1, TimestampType.CreateTime, 1);
            log.Roll();
            log.AppendAsLeader(batch.ToArray(), -1, TimestampType.CreateTime, 1);
        }

        Console.WriteLine($"FD-REPORT rollMs={sw.ElapsedMilliseconds}");
        sw.Restart();
        foreach (var log in rolled)
        {
            var r = log.Read(0, 1000, long.MaxValue, true);
            Assert.Equal(batch.Length, ((Segments.FileRecordSet)r.Records).ToArray().Length);
        }

        var afterReads = OpenFds() - baseline;
        Console.WriteLine($"FD-REPORT readMs={sw.ElapsedMilliseconds}");
        output.WriteLine($"{Partitions} partitions: created in {created} ms; fds over baseline {baseline}: " +
            $"{afterCreate} after create, {afterReads} after rolling and reading {rolled.Count} partitions (LRU cap {Cap}, open inactive {manager.Handles.OpenUnpinned})");
        Console.WriteLine($"FD-REPORT partitions={Partitions} baseline={baseline} afterCreate={afterCreate} afterReads={afterReads} cap={Cap} createMs={created}");

        // An active segment holds a handle only once written to (10,000 idle partitions: none), at most Cap more
        // for inactive segments, a little slack for the runtime.
        Assert.InRange(afterCreate, -50, 50);
        Assert.InRange(afterReads, rolled.Count, rolled.Count + Cap + 50);
        Assert.True(manager.Handles.OpenUnpinned <= Cap);

        sw.Restart();
        manager.Dispose();
        output.WriteLine($"clean shutdown of {Partitions} partitions: {sw.ElapsedMilliseconds} ms");
        Console.WriteLine($"FD-REPORT shutdownMs={sw.ElapsedMilliseconds}");
        Assert.InRange(OpenFds() - baseline, -50, 50);
    }
}
