using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Tests;

public sealed class FlushTests
{
    [Fact]
    public void FlushMessagesAdvancesTheRecoveryPointOnlyAfterFsync()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        using var manager = new LogManager([dir.Path], LogConfig.Default with { FlushMessages = 5 }, new LogManagerOptions { Time = clock, StartBackgroundJobs = false });
        var log = manager.GetOrCreateLog("f", 0);
        log.AppendAsLeader(Batches.Make(3), 0, TimestampType.CreateTime, 1);
        Assert.Equal(0, log.RecoveryPoint);
        log.AppendAsLeader(Batches.Make(3), 0, TimestampType.CreateTime, 1);
        Assert.Equal(6, log.RecoveryPoint);
        Assert.Equal(0, log.UnflushedState.Messages);
    }

    [Fact]
    public void FlushMsIsCheckedByTheFlusherWithTheManagerClock()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        using var manager = new LogManager([dir.Path], LogConfig.Default with { FlushMs = 1000 }, new LogManagerOptions { Time = clock, StartBackgroundJobs = false });
        var log = manager.GetOrCreateLog("f", 0);
        log.AppendAsLeader(Batches.Make(3), 0, TimestampType.CreateTime, 1);
        Assert.Equal(0, manager.RunFlusher());
        clock.Advance(1000);
        Assert.Equal(1, manager.RunFlusher());
        Assert.Equal(3, log.RecoveryPoint);
        Assert.Equal(0, manager.RunFlusher());
    }

    [Fact]
    public void ConcurrentAppendersAreGroupCommittedByTheBackgroundFlusher()
    {
        using var dir = new TempDir();
        using var manager = new LogManager([dir.Path], LogConfig.Default with { FlushMessages = 1 }, new LogManagerOptions());
        var log = manager.GetOrCreateLog("g", 0);
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(KafkaOperator.Protocol.ErrorCode.None, log.AppendAsLeader(Batches.Make(2), 0, TimestampType.CreateTime, 1).Error);
            }
        });

        Assert.Equal(400, log.LogEndOffset);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (log.RecoveryPoint < log.LogEndOffset && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        Assert.Equal(400, log.RecoveryPoint);
        Assert.Equal(200, Batches.ReadAll(log).Count);
    }

    [Fact]
    public void WritebackIsKickedEveryConfiguredBytes()
    {
        using var dir = new TempDir();
        var options = new PartitionLogOptions { WritebackBytes = 64 * 1024 };
        using var log = PartitionLog.Open(dir.Path, "w", 0, LogConfig.Default, options);
        for (var i = 0; i < 200; i++)
        {
            log.AppendAsLeader(Batches.Make(10, valueSize: 200), 0, TimestampType.CreateTime, 1);
        }

        Assert.True(log.SizeInBytes > 4 * 64 * 1024);
        var active = log.ActiveSegmentForTests;
        Assert.InRange(active.UnkickedBytes, 0, 64 * 1024);
    }

    [Fact]
    public void InterruptedSwapIsCompletedOnLoad()
    {
        using var dir = new TempDir();
        var config = LogConfig.Default with { SegmentBytes = 600 };
        var log = PartitionLog.Open(dir.Path, "s", 0, config);
        for (var i = 0; i < 40; i++)
        {
            log.AppendAsLeader(Batches.Make(2), 0, TimestampType.CreateTime, 1);
        }

        var expected = Batches.Records(log);
        var bases = log.SegmentBaseOffsets;
        Assert.True(bases.Count >= 4);
        var partitionDir = log.Directory;
        log.Dispose();

        // A cleaner that crashed after writing `<base0>.log.swap` (segments 0 and 1 merged) but before the rename.
        string Seg(long b) => Path.Combine(partitionDir, $"{b:D20}.log");
        File.WriteAllBytes(Seg(bases[0]) + ".swap", [.. File.ReadAllBytes(Seg(bases[0])), .. File.ReadAllBytes(Seg(bases[1]))]);

        using var reopened = PartitionLog.Open(dir.Path, "s", 0, config, hadCleanShutdown: false);
        Assert.Equal(bases.Count - 1, reopened.SegmentCount);
        Assert.DoesNotContain(bases[1], reopened.SegmentBaseOffsets);
        Assert.Empty(Directory.GetFiles(partitionDir, "*.swap"));
        Assert.Equal(expected, Batches.Records(reopened));
    }
}
