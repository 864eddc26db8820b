using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Tests;

public sealed class RetentionTests
{
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 2000, IndexIntervalBytes = 200, FileDeleteDelayMs = 0 };

    private static PartitionLog Fill(string dir, LogConfig config, int batches, long firstTimestamp, long step, bool setHighWatermark = true)
    {
        var log = PartitionLog.Open(dir, "t", 0, config);
        for (var i = 0; i < batches; i++)
        {
            log.AppendAsLeader(Batches.Make(4, timestamp: firstTimestamp + (i * step), valueSize: 40), 0, TimestampType.CreateTime, 1);
        }

        if (setHighWatermark)
        {
            log.HighWatermark = log.LogEndOffset;
        }

        return log;
    }

    [Fact]
    public void RetentionByTimeDeletesOldSegmentsAndAdvancesLogStart()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small with { RetentionMs = 10_000 }, 60, 1_000_000, 1000);
        var segments = log.SegmentBaseOffsets;
        Assert.True(segments.Count > 4);

        // now = last timestamp + 5s: only segments whose newest record is older than now - 10s go.
        var now = 1_000_000 + (59 * 1000) + 5000;
        var deleted = log.DeleteOldSegments(now);
        Assert.True(deleted > 0);
        Assert.Equal(log.SegmentBaseOffsets[0], log.LogStartOffset);
        Assert.True(log.LogStartOffset > 0);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(0, 1000, long.MaxValue, true).Error);
        Assert.Equal(ErrorCode.None, log.Read(log.LogStartOffset, 1000, long.MaxValue, true).Error);
        var oldest = Batches.ReadAll(log)[0];
        Assert.True(now - oldest.MaxTimestamp <= 10_000 + 10_000, "a segment holds ~7 batches a second apart; the first kept one ends inside retention");
        Assert.Equal(segments.Count - deleted, Directory.GetFiles(log.Directory, "*.log").Length);
        Assert.Empty(Directory.GetFiles(log.Directory, "*.deleted"));

        // Everything expired: the log rolls and keeps an empty active segment at the log end.
        log.DeleteOldSegments(now + 1_000_000);
        Assert.Equal(log.LogEndOffset, log.LogStartOffset);
        Assert.Equal([log.LogEndOffset], log.SegmentBaseOffsets);
        Assert.Equal(log.LogEndOffset, log.AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 1).FirstOffset);
    }

    [Fact]
    public void RetentionByBytesKeepsTheNewestSegmentsUnderTheLimit()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small with { RetentionBytes = 5000, RetentionMs = -1 }, 60, 1000, 1);
        var before = log.SizeInBytes;
        Assert.True(before > 10_000);
        log.DeleteOldSegments(long.MaxValue / 2);
        Assert.True(log.SizeInBytes <= 5000 + Small.SegmentBytes, $"size {log.SizeInBytes}");
        Assert.True(log.SizeInBytes > 5000 - Small.SegmentBytes);
        Assert.Equal(log.SegmentBaseOffsets[0], log.LogStartOffset);
    }

    [Fact]
    public void RetentionNeverDeletesAboveTheHighWatermark()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small with { RetentionMs = 1 }, 30, 1000, 1, setHighWatermark: false);
        log.HighWatermark = 10;
        log.HighWatermark = 5;
        Assert.Equal(10, log.HighWatermark);
        log.DeleteOldSegments(long.MaxValue / 2);
        Assert.True(log.LogStartOffset <= 10);
        Assert.Equal(ErrorCode.None, log.Read(10, 100, long.MaxValue, true).Error);
    }

    [Fact]
    public void ConsumingDeletesNothing()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small, 40, 1000, 1);
        var segments = log.SegmentBaseOffsets;
        var headers = Batches.ReadAll(log);
        Assert.Equal(40, headers.Count);
        Batches.ReadAll(log);
        log.DeleteOldSegments(2000);
        Assert.Equal(segments, log.SegmentBaseOffsets);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(40, Batches.ReadAll(log).Count);
    }

    [Fact]
    public void DeleteRecordsAdvancesLogStartAndRemovesWholeSegmentsLater()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small with { FileDeleteDelayMs = 60_000 }, 40, 1000, 1);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.DeleteRecordsBefore(log.HighWatermark + 1).Error);
        var (error, low) = log.DeleteRecordsBefore(77);
        Assert.Equal((ErrorCode.None, 77L), (error, low));
        Assert.Equal(77, log.LogStartOffset);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(76, 100, long.MaxValue, true).Error);
        var r = log.Read(77, 100, long.MaxValue, true);
        Assert.Equal(76, r.FirstBatchBaseOffset);

        // Segments wholly below 77 are renamed .deleted at once and removed after file.delete.delay.ms.
        Assert.True(log.SegmentBaseOffsets[0] <= 77);
        var pending = Directory.GetFiles(log.Directory, "*.log.deleted");
        Assert.NotEmpty(pending);
        log.RunPendingDeletes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
        Assert.NotEmpty(Directory.GetFiles(log.Directory, "*.log.deleted"));
        log.RunPendingDeletes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 61_000);
        Assert.Empty(Directory.GetFiles(log.Directory, "*.deleted"));
    }

    [Fact]
    public void ReadStillInFlightFinishesAfterItsSegmentIsDeleted()
    {
        using var dir = new TempDir();
        using var log = Fill(dir.Path, Small with { FileDeleteDelayMs = 0, RetentionMs = 1 }, 30, 1000, 1);
        var r = log.Read(0, 1 << 20, long.MaxValue, true);
        var records = (Segments.FileRecordSet)r.Records;
        var handleHeld = records.ToArray();
        log.DeleteOldSegments(long.MaxValue / 2);
        Assert.Equal(log.LogEndOffset, log.LogStartOffset);
        Assert.NotEmpty(handleHeld);
    }

    [Fact]
    public void LogManagerRetentionPassUsesItsClock()
    {
        using var dir = new TempDir();
        var clock = new ManualClock(1_000_000);
        var config = Small with { RetentionMs = 60_000 };
        using var manager = new LogManager([dir.Path], config, new LogManagerOptions { Time = clock, StartBackgroundJobs = false });
        var log = manager.GetOrCreateLog("r", 0);
        for (var i = 0; i < 40; i++)
        {
            log.AppendAsLeader(Batches.Make(4, timestamp: clock.NowMs, valueSize: 40), 0, TimestampType.CreateTime, clock.NowMs);
        }

        log.HighWatermark = log.LogEndOffset;
        Assert.Equal(0, manager.RunRetention());
        clock.Advance(61_000);
        Assert.True(manager.RunRetention() > 0);
        Assert.Equal(log.LogEndOffset, log.LogStartOffset);
    }
}
