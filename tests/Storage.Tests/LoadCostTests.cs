using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage.Tests;

/// <summary>
/// What loading many idle partitions costs: after kill -9 the empty segments are recovered without rewriting any
/// file, and no segment file is held open until it is written to. And what that must not cost: an index file left
/// beside an empty log is never trusted later.
/// </summary>
[Collection(OpenFileCounts.Name)]
public sealed class LoadCostTests
{
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 3000, IndexIntervalBytes = 200 };

    private static int OpenFds() => Directory.GetFiles("/proc/self/fd").Length;

    private static Dictionary<string, (long Length, DateTime Changed)> Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetDirectoryName(f) != dir)
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    [Fact]
    public void AnUncleanLoadOfIdlePartitionsRewritesNoFileAndHoldsNoHandle()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        const int Partitions = 300;
        using var dir = new TempDir();
        var options = new LogManagerOptions { StartBackgroundJobs = false };
        var manager = new LogManager([dir.Path], Config, options);
        for (var p = 0; p < Partitions; p++)
        {
            var log = manager.GetOrCreateLog("idle", p);
            if (p % 3 == 0)
            {
                log.EpochCache.Assign(3, 0);
            }
        }

        manager.SimulateCrash();
        var before = Files(dir.Path);
        var baseline = OpenFds();

        manager = new LogManager([dir.Path], Config, options);
        Assert.False(manager.HadCleanShutdown);
        Assert.Equal(Partitions, manager.AllLogs.Count);
        Assert.InRange(OpenFds() - baseline, -50, 50);
        Assert.Equal(before, Files(dir.Path));

        // The first append opens the active segment; everything still reads back.
        var written = manager.GetLog("idle", 7)!;
        written.AppendAsLeader(Batches.Make(2), 4, TimestampType.CreateTime, 1);
        Assert.Equal(2, written.LogEndOffset);
        Assert.Single(Batches.ReadAll(written));
        manager.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AStaleIndexBesideAnEmptyLogIsRewrittenBeforeTheLogGrowsPastIt(bool cleanShutdown)
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Config);
        for (var i = 0; i < 30; i++)
        {
            log.AppendAsLeader(Batches.Make(3, valueSize: 50), 0, TimestampType.CreateTime, 1);
        }

        var partitionDir = log.Directory;
        log.Dispose();
        var segment = Directory.GetFiles(partitionDir, "*.log").Order(StringComparer.Ordinal).First();
        var index = Path.ChangeExtension(segment, ".index");
        Assert.True(new FileInfo(index).Length > 0);

        // The records are lost (a crash before the data reached the disk) but their index entries are not.
        foreach (var later in Directory.GetFiles(partitionDir, "*.log").Where(f => f != segment))
        {
            foreach (var suffix in (string[])[".log", ".index", ".timeindex"])
            {
                File.Delete(Path.ChangeExtension(later, suffix));
            }
        }

        File.WriteAllBytes(segment, []);
        log = PartitionLog.Open(dir.Path, "t", 0, Config, hadCleanShutdown: cleanShutdown);
        Assert.Equal(0, log.LogEndOffset);

        // Appends below the index interval add no entry, yet the stale ones must not survive the close.
        log.AppendAsLeader(Batches.Make(1, valueSize: 10), 1, TimestampType.CreateTime, 1);
        log.AppendAsLeader(Batches.Make(1, valueSize: 10), 1, TimestampType.CreateTime, 1);
        log.Dispose();
        Assert.Equal(0, new FileInfo(index).Length);

        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Config);
        Assert.Equal([0L, 1L], Batches.ReadAll(reopened).Select(h => h.BaseOffset));
        Assert.Equal(2, reopened.LogEndOffset);
    }

    [Fact]
    public void AReadHandleReplacedByTheFirstWritesHandleClosesWhenTheReadEnds()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "00000000000000000000.log");
        File.WriteAllBytes(path, []);
        var cache = new FileHandleCache(10);
        var file = new SegmentFile(cache, path);
        var read = file.Acquire();
        var writable = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, SegmentFile.Options);
        cache.Pin(file, writable);
        Assert.False(read.IsClosed);
        file.Release();
        Assert.True(read.IsClosed);
        Assert.Same(writable, file.Acquire());
        file.Release();
        cache.Close(file, deleted: false);
        Assert.True(writable.IsClosed);
    }
}
