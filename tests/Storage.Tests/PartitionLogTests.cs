using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage.Tests;

public sealed class PartitionLogTests
{
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 4096, IndexIntervalBytes = 256, FileDeleteDelayMs = 0 };

    [Fact]
    public void AppendThenReadRoundTripsBytesAndAssignsOffsets()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        var a = Batches.Make(3);
        var b = Batches.Make(5);
        var r1 = log.AppendAsLeader(a, 7, TimestampType.CreateTime, 1);
        var r2 = log.AppendAsLeader(b, 7, TimestampType.CreateTime, 1);
        Assert.Equal((ErrorCode.None, 0L, 2L, -1L), (r1.Error, r1.FirstOffset, r1.LastOffset, r1.LogAppendTime));
        Assert.Equal((3L, 7L), (r2.FirstOffset, r2.LastOffset));
        Assert.Equal(8, log.LogEndOffset);

        var read = log.Read(0, 1 << 20, long.MaxValue, false);
        Assert.Equal(ErrorCode.None, read.Error);
        var bytes = ((FileRecordSet)read.Records).ToArray();
        Assert.Equal(a.Concat(b).ToArray(), bytes);
        var headers = Batches.Headers(bytes);
        Assert.Equal([0L, 3L], headers.Select(h => h.BaseOffset));
        Assert.All(headers, h => Assert.Equal(7, h.PartitionLeaderEpoch));
        Assert.Equal((7, 8L), log.EndOffsetForEpoch(7));
    }

    [Fact]
    public void ReadStartsAtBatchHoldingOffsetAndRespectsHighWatermark()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        for (var i = 0; i < 4; i++)
        {
            log.AppendAsLeader(Batches.Make(10), 0, TimestampType.CreateTime, 1);
        }

        var r = log.Read(15, 1 << 20, 30, false);
        var headers = Batches.Headers(((FileRecordSet)r.Records).ToArray());
        Assert.Equal(10, r.FirstBatchBaseOffset);
        Assert.Equal([10L, 20L], headers.Select(h => h.BaseOffset));

        Assert.Equal(0, log.Read(30, 1 << 20, 30, false).SizeInBytes);
        Assert.Equal(0, log.Read(40, 1 << 20, long.MaxValue, false).SizeInBytes);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(41, 1 << 20, long.MaxValue, false).Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(-1, 1 << 20, long.MaxValue, false).Error);

        // maxBytes smaller than a batch: a partial batch (as Kafka; clients drop it) unless minOneBatch.
        var partial = log.Read(0, 10, long.MaxValue, false);
        Assert.Equal(10, partial.SizeInBytes);
        Assert.Empty(Batches.Headers(((FileRecordSet)partial.Records).ToArray()));
        var one = log.Read(0, 10, long.MaxValue, true);
        Assert.Single(Batches.Headers(((FileRecordSet)one.Records).ToArray()));
    }

    [Fact]
    public void AnAppendWithAnOlderLeaderEpochThanTheLogHasIsFencedAndWritesNothing()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(2), 5, TimestampType.CreateTime, 1).Error);

        var stale = log.AppendAsLeader(Batches.Make(3), 4, TimestampType.CreateTime, 1);

        Assert.Equal(ErrorCode.FencedLeaderEpoch, stale.Error);
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1), 5, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1), 6, TimestampType.CreateTime, 1).Error);
        Assert.Equal(4, log.LogEndOffset);
    }

    [Fact]
    public void LogAppendTimeIsStampedAndReturned()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        var r = log.AppendAsLeader(Batches.Make(2, timestamp: 5), 0, TimestampType.LogAppendTime, 123_456);
        Assert.Equal(123_456, r.LogAppendTime);
        var h = Batches.Headers(((FileRecordSet)log.Read(0, 1 << 20, long.MaxValue, false).Records).ToArray())[0];
        Assert.Equal((TimestampType.LogAppendTime, 123_456L), (h.TimestampType, h.MaxTimestamp));
    }

    [Fact]
    public void BadFramingAndOversizedBatchesAreRejected()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default with { MaxMessageBytes = 200 });
        var batch = Batches.Make(3);
        Assert.Equal(ErrorCode.CorruptMessage, log.AppendAsLeader(batch.AsMemory(0, batch.Length - 1).ToArray(), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.CorruptMessage, log.AppendAsLeader(Array.Empty<byte>(), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.MessageTooLarge, log.AppendAsLeader(Batches.Make(20, valueSize: 50), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void RollsBySizeAndReadsAcrossSegments()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        for (var i = 0; i < 50; i++)
        {
            log.AppendAsLeader(Batches.Make(5, valueSize: 40), 0, TimestampType.CreateTime, 1);
        }

        Assert.True(log.SegmentCount > 3, $"segments: {log.SegmentCount}");
        var files = Directory.GetFiles(Path.Combine(dir.Path, "t-0"), "*.log").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(log.SegmentCount, files.Count);
        Assert.Equal("00000000000000000000.log", files[0]);
        Assert.All(files, f => Assert.Equal(24, f!.Length));
        var all = Batches.ReadAll(log);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 5L), all.Select(h => h.BaseOffset));
    }

    [Fact]
    public void RollsBySegmentMsUsingTheAppendClock()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default with { SegmentMs = 1000 });
        log.AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 10_000);
        log.AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 11_000);
        Assert.Equal(1, log.SegmentCount);
        log.AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 11_001);
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal([0L, 2L], log.SegmentBaseOffsets);
    }

    [Fact]
    public void RandomOffsetLookupsFindTheirBatch()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, Small with { SegmentBytes = 64 * 1024, IndexIntervalBytes = 100 });
        var rng = new Random(42);
        var bases = new List<long>();
        for (var i = 0; i < 300; i++)
        {
            var r = log.AppendAsLeader(Batches.Make(rng.Next(1, 8), valueSize: rng.Next(1, 200)), 0, TimestampType.CreateTime, 1);
            bases.Add(r.FirstOffset);
        }

        Assert.True(log.SegmentCount > 1);
        for (var i = 0; i < 500; i++)
        {
            var target = rng.NextInt64(0, log.LogEndOffset);
            var r = log.Read(target, 1, long.MaxValue, minOneBatch: true);
            var expected = bases.Last(b => b <= target);
            Assert.Equal(expected, r.FirstBatchBaseOffset);
            var h = Batches.Headers(((FileRecordSet)r.Records).ToArray()).Single();
            Assert.InRange(target, h.BaseOffset, h.LastOffset);
        }
    }

    [Fact]
    public void OffsetForTimestampFindsFirstRecordAtOrAfter()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        for (var i = 0; i < 100; i++)
        {
            log.AppendAsLeader(Batches.Make(4, timestamp: 1000 + (i * 10)), 0, TimestampType.CreateTime, 1);
        }

        // Batch i holds offsets 4i..4i+3 with timestamps 1000+10i .. +3.
        Assert.Equal((0L, 1000L), log.OffsetForTimestamp(0));
        Assert.Equal((202L, 1502L), log.OffsetForTimestamp(1502));
        Assert.Equal((204L, 1510L), log.OffsetForTimestamp(1504));
        Assert.Null(log.OffsetForTimestamp(5000));
        Assert.Equal((1993L, 399L), log.MaxTimestampAndOffset());
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public void MaxTimestampIsTheFirstRecordCarryingItNotTheBatchsLastOffset(CompressionType compression)
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        log.AppendAsLeader(Batches.Make(2, timestamp: 50), 0, TimestampType.CreateTime, 1);
        // KAFKA-16310: records with timestamps 100, 400, 250 at offsets 2, 3, 4 make the answer offset 3, not 4.
        log.AppendAsLeader(Batches.Keyed(compression, ("a", "1", 100), ("b", "2", 400), ("c", "3", 250), ("d", "4", 400)),
            0, TimestampType.CreateTime, 1);
        for (var i = 0; i < 40; i++)
        {
            log.AppendAsLeader(Batches.Make(3, timestamp: 300, valueSize: 200), 0, TimestampType.CreateTime, 1);
        }

        Assert.True(log.SegmentCount > 1);
        Assert.Equal((400L, 3L), log.MaxTimestampAndOffset());

        // The same answer after a clean restart and after recovery rebuilt the indexes.
        var partitionDir = log.Directory;
        log.Dispose();
        log = PartitionLog.Open(dir.Path, "t", 0, Small);
        Assert.Equal((400L, 3L), log.MaxTimestampAndOffset());
        log.CloseWithoutFlush();
        foreach (var index in Directory.GetFiles(partitionDir, "*.timeindex").Concat(Directory.GetFiles(partitionDir, "*.index")))
        {
            File.Delete(index);
        }

        log = PartitionLog.Open(dir.Path, "t", 0, Small);
        try
        {
            Assert.Equal((400L, 3L), log.MaxTimestampAndOffset());
        }
        finally
        {
            log.Dispose();
        }
    }

    [Fact]
    public void MaxTimestampOfALogAppendTimeBatchIsItsFirstOffset()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        log.AppendAsLeader(Batches.Make(2, timestamp: 50), 0, TimestampType.CreateTime, 1);
        log.AppendAsLeader(Batches.Make(3, timestamp: 60), 0, TimestampType.LogAppendTime, 9_000);
        Assert.Equal((9_000L, 2L), log.MaxTimestampAndOffset());
        using var empty = PartitionLog.Open(dir.Path, "empty", 0, LogConfig.Default);
        Assert.Equal((-1L, -1L), empty.MaxTimestampAndOffset());
    }

    [Fact]
    public void TruncateToRemovesTailAndAppendsContinue()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        for (var i = 0; i < 40; i++)
        {
            log.AppendAsLeader(Batches.Make(5, valueSize: 40), i < 20 ? 1 : 2, TimestampType.CreateTime, 1);
        }

        Assert.True(log.TruncateTo(50));
        Assert.Equal(50, log.LogEndOffset);
        Assert.Equal((1, 50L), log.EndOffsetForEpoch(1));
        Assert.Equal(1, log.EpochCache.LatestEpoch);
        var r = log.AppendAsLeader(Batches.Make(5), 3, TimestampType.CreateTime, 1);
        Assert.Equal(50, r.FirstOffset);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => i * 5L), Batches.ReadAll(log).Select(h => h.BaseOffset));

        log.TruncateFullyAndStartAt(1000);
        Assert.Equal((1000L, 1000L), (log.LogStartOffset, log.LogEndOffset));
        Assert.Equal(1000, log.AppendAsLeader(Batches.Make(1), 4, TimestampType.CreateTime, 1).FirstOffset);
    }

    [Fact]
    public void TruncateToTheLogEndDropsAnEpochThatStartsThere()
    {
        // A replica that became leader of epoch 2 (cache entry at its log end) but appended nothing before it followed
        // again: truncating to its end must drop that entry, or its fetches keep claiming epoch 2 (as Kafka).
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        log.AppendAsLeader(Batches.Make(3), 1, TimestampType.CreateTime, 1);
        log.EpochCache.Assign(2, log.LogEndOffset);
        Assert.False(log.TruncateTo(3));
        Assert.Equal([(1, 0L)], log.EpochCache.Entries);
        Assert.Equal(3, log.LogEndOffset);
        Assert.False(log.TruncateTo(10));
        Assert.Equal([(1, 0L)], log.EpochCache.Entries);
    }

    [Fact]
    public void FollowerAppendKeepsOffsetsAndEpochs()
    {
        using var dir = new TempDir();
        using var leader = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        using var follower = PartitionLog.Open(dir.Path, "t", 1, LogConfig.Default);
        leader.AppendAsLeader(Batches.Make(3), 1, TimestampType.CreateTime, 1);
        leader.AppendAsLeader(Batches.Make(3), 2, TimestampType.CreateTime, 1);
        var bytes = ((FileRecordSet)leader.Read(0, 1 << 20, long.MaxValue, false).Records).ToArray();
        var r = follower.AppendAsFollower(bytes);
        Assert.Equal((ErrorCode.None, 0L, 5L), (r.Error, r.FirstOffset, r.LastOffset));
        Assert.Equal([(1, 0L), (2, 3L)], follower.EpochCache.Entries);
        Assert.Equal(ErrorCode.OffsetOutOfRange, follower.AppendAsFollower(bytes).Error);
        bytes[^1] ^= 0xFF;
        follower.TruncateTo(0);
        Assert.Equal(ErrorCode.CorruptMessage, follower.AppendAsFollower(bytes).Error);
    }

    [Fact]
    public void ConfigUpdateTakesEffect()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        log.AppendAsLeader(Batches.Make(5, valueSize: 100), 0, TimestampType.CreateTime, 1);
        log.UpdateConfig(LogConfig.FromProperties([new("segment.bytes", "100"), new("retention.ms", "5")]));
        Assert.Equal(100, log.Config.SegmentBytes);
        log.AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 1);
        Assert.Equal(2, log.SegmentCount);
        Assert.Throws<ArgumentException>(() => LogConfig.FromProperties([new("cleanup.policy", "bogus")]));
    }
}
