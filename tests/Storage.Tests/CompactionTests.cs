using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Tests;

public sealed class CompactionTests
{
    private static readonly LogConfig Compacted = LogConfig.Default with
    {
        CleanupPolicy = "compact",
        SegmentBytes = 700,
        IndexIntervalBytes = 100,
        FileDeleteDelayMs = 0,
        DeleteRetentionMs = 10_000,
    };

    private static PartitionLog Open(string dir) => PartitionLog.Open(dir, "c", 0, Compacted);

    [Fact]
    public void KeepsTheLatestRecordPerKeyWithOriginalOffsets()
    {
        using var dir = new TempDir();
        using var log = Open(dir.Path);
        var now = 1_000_000L;
        for (var round = 0; round < 20; round++)
        {
            var records = Enumerable.Range(0, 5).Select(k => ($"key{k}", (string?)$"r{round}-k{k}", now)).ToArray();
            log.AppendAsLeader(Batches.Keyed(records), 0, TimestampType.CreateTime, now);
        }

        log.HighWatermark = log.LogEndOffset;
        var leo = log.LogEndOffset;
        var before = Batches.Records(log);
        var segmentsBefore = log.SegmentCount;
        Assert.True(segmentsBefore > 3);
        var activeBase = log.SegmentBaseOffsets[^1];

        var result = log.Compact(now, force: true);
        Assert.NotNull(result);
        Assert.True(result.Value.RecordsRemoved > 0);
        Assert.Equal(leo, log.LogEndOffset);
        Assert.True(result.Value.BytesOut < result.Value.BytesIn);
        Assert.True(log.SegmentCount <= segmentsBefore);
        Assert.Equal(activeBase, log.CleanerCheckpoint);

        var after = Batches.Records(log);
        // Offsets strictly increase and every surviving record is unchanged from before.
        Assert.True(after.Zip(after.Skip(1)).All(p => p.First.Offset < p.Second.Offset));
        Assert.All(after, r => Assert.Contains(r, before));
        // The cleaned part holds exactly one record per key: the latest below the active segment (the map covers
        // the cleanable section only, as Kafka's).
        var cleaned = after.Where(r => r.Offset < activeBase).ToList();
        var expected = before.Where(r => r.Offset < activeBase).GroupBy(r => r.Key).Select(g => g.Last()).OrderBy(r => r.Offset).ToList();
        Assert.Equal(expected, cleaned);
        // The active segment is untouched.
        Assert.Equal(before.Where(r => r.Offset >= activeBase), after.Where(r => r.Offset >= activeBase));
        // The latest value of every key is still readable.
        foreach (var key in Enumerable.Range(0, 5).Select(k => $"key{k}"))
        {
            Assert.Equal(before.Last(r => r.Key == key), after.Last(r => r.Key == key));
        }

        Assert.Equal(leo, log.AppendAsLeader(Batches.Keyed(("key0", "new", now)), 0, TimestampType.CreateTime, now).FirstOffset);
        Assert.Empty(Directory.GetFiles(log.Directory, "*.cleaned"));
        Assert.Empty(Directory.GetFiles(log.Directory, "*.swap"));
    }

    [Fact]
    public void DropsTombstonesOlderThanDeleteRetention()
    {
        using var dir = new TempDir();
        using var log = Open(dir.Path);
        var now = 1_000_000L;
        log.AppendAsLeader(Batches.Keyed(("old", "1", now - 50_000), ("recent", "1", now - 50_000), ("kept", "1", now - 50_000)), 0, TimestampType.CreateTime, now);
        log.AppendAsLeader(Batches.Keyed(("old", null, now - 20_000)), 0, TimestampType.CreateTime, now);
        log.AppendAsLeader(Batches.Keyed(("recent", null, now - 1000)), 0, TimestampType.CreateTime, now);
        log.Roll();
        log.AppendAsLeader(Batches.Keyed(("other", "x", now)), 0, TimestampType.CreateTime, now);
        log.HighWatermark = log.LogEndOffset;

        Assert.NotNull(log.Compact(now, force: true));
        var after = Batches.Records(log);
        Assert.DoesNotContain(after, r => r.Key == "old");
        Assert.Contains(after, r => r.Key == "recent" && r.Value is null);
        Assert.DoesNotContain(after, r => r.Key == "recent" && r.Value is not null);
        Assert.Contains(after, r => r.Key == "kept" && r.Value == "1");
        Assert.Contains(after, r => r.Key == "other");
    }

    [Fact]
    public void NothingHappensBelowTheDirtyRatioOrForDeletePolicy()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "d", 0, Compacted with { CleanupPolicy = "delete" });
        log.AppendAsLeader(Batches.Keyed(("a", "1", 1), ("a", "2", 1)), 0, TimestampType.CreateTime, 1);
        log.Roll();
        log.HighWatermark = log.LogEndOffset;
        Assert.Null(log.Compact(1000, force: true));

        log.UpdateConfig(Compacted with { MinCleanableDirtyRatio = 0.5 });
        Assert.NotNull(log.Compact(1000));
        Assert.Null(log.Compact(1000)); // everything clean now
        Assert.Single(Batches.Records(log), r => r.Key == "a");
    }

    [Fact]
    public void EmptiedBatchOfAProducerKeepsItsHeaderAndSequenceState()
    {
        using var dir = new TempDir();
        using var log = Open(dir.Path);
        var b1 = Batches.Producer("k", "1", 9, 0, 0);
        var b2 = Batches.Producer("j", "1", 3, 0, 0);
        var b3 = Batches.Keyed(("k", "2", 5), ("j", "2", 5));
        log.AppendAsLeader(b1, 0, TimestampType.CreateTime, 1);
        log.AppendAsLeader(b2, 0, TimestampType.CreateTime, 1);
        log.AppendAsLeader(b3, 0, TimestampType.CreateTime, 1);
        log.Roll();
        log.HighWatermark = log.LogEndOffset;
        log.Compact(1000, force: true);

        var headers = Batches.ReadAll(log);
        Assert.Equal([0L, 1L, 2L], headers.Select(h => h.BaseOffset));
        Assert.Equal([0, 0, 2], headers.Select(h => h.RecordCount));
        Assert.Equal([9L, 3L, -1L], headers.Select(h => h.ProducerId));
        Assert.True(log.AppendAsLeader(Batches.Producer("k", "1", 9, 0, 0), 0, TimestampType.CreateTime, 1).Duplicate);
    }

    [Fact]
    public void CompactedLogSurvivesRestartAndCrashLeftovers()
    {
        using var dir = new TempDir();
        var log = Open(dir.Path);
        for (var round = 0; round < 10; round++)
        {
            log.AppendAsLeader(Batches.Keyed(("a", $"{round}", 1), ("b", $"{round}", 1)), 0, TimestampType.CreateTime, 1);
            log.Roll();
        }

        log.HighWatermark = log.LogEndOffset;
        log.Compact(1000, force: true);
        var expected = Batches.Records(log);
        var partitionDir = log.Directory;
        log.Dispose();

        // A crash can leave a half-written .cleaned segment behind: it is ignored and removed on load.
        File.WriteAllBytes(Path.Combine(partitionDir, "00000000000000000000.log.cleaned"), [1, 2, 3]);
        using var reopened = Open(dir.Path);
        Assert.Equal(expected, Batches.Records(reopened));
        Assert.Empty(Directory.GetFiles(partitionDir, "*.cleaned"));
    }

    [Fact]
    public void LogManagerRunsTheCleanerAndCheckpointsIt()
    {
        using var dir = new TempDir();
        var manager = new LogManager([dir.Path], LogConfig.Default, new LogManagerOptions { StartBackgroundJobs = false });
        var log = manager.GetOrCreateLog("cm", 0, Compacted);
        for (var round = 0; round < 10; round++)
        {
            log.AppendAsLeader(Batches.Keyed(("a", $"{round}", 1)), 0, TimestampType.CreateTime, 1);
            log.Roll();
        }

        log.HighWatermark = log.LogEndOffset;
        Assert.Equal(1, manager.RunCleaner());
        Assert.Equal(["0", "1", "cm 0 10"], File.ReadAllLines(Path.Combine(dir.Path, LogManager.CleanerOffsetCheckpoint)));
        manager.Dispose();
        manager = new LogManager([dir.Path], LogConfig.Default, new LogManagerOptions { StartBackgroundJobs = false, TopicConfig = _ => Compacted });
        Assert.Equal(10, manager.GetLog("cm", 0)!.CleanerCheckpoint);
        manager.Dispose();
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    [InlineData(CompressionType.Snappy)]
    public void CompressedBatchesAreCompactedAndStayCompressed(CompressionType compression)
    {
        using var dir = new TempDir();
        using var log = Open(dir.Path);
        for (var round = 0; round < 6; round++)
        {
            log.AppendAsLeader(Batches.Keyed(compression, ("a", $"a{round}", 10 + round), ("b", $"b{round}", 10 + round), ("c", round == 5 ? "last" : $"c{round}", 10 + round)), 0, TimestampType.CreateTime, 1);
        }

        log.Roll();
        log.HighWatermark = log.LogEndOffset;
        Assert.Equal((6L, 12L), log.OffsetForTimestamp(12));

        var result = log.Compact(1000, force: true);
        Assert.Equal(15, result!.Value.RecordsRemoved);
        Assert.Equal([(15L, "a", (string?)"a5"), (16L, "b", "b5"), (17L, "c", "last")], Batches.Records(log));
        var headers = Batches.ReadAll(log);
        Assert.All(headers, h => Assert.Equal(compression, h.Compression));
        Assert.Equal([15L], headers.Where(h => h.RecordCount > 0).Select(h => h.BaseOffset));
    }

    [Fact]
    public void MaxCompactionLagForcesCleaningBelowTheDirtyRatio()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "lag", 0, Compacted with { MinCleanableDirtyRatio = 1.0, MaxCompactionLagMs = 5000 });
        log.AppendAsLeader(Batches.Keyed(("a", "1", 1000), ("a", "2", 1000)), 0, TimestampType.CreateTime, 1);
        log.Roll();
        log.HighWatermark = log.LogEndOffset;
        Assert.NotNull(log.Compact(1000, force: true));

        // Now part of the log is clean: the dirty ratio stays below 1.0 and only the lag can trigger a pass.
        log.AppendAsLeader(Batches.Keyed(("b", "1", 1000), ("b", "2", 1000)), 0, TimestampType.CreateTime, 1);
        log.Roll();
        log.AppendAsLeader(Batches.Keyed(("c", "1", 1000)), 0, TimestampType.CreateTime, 1);
        log.HighWatermark = log.LogEndOffset;
        Assert.Null(log.Compact(5000));
        Assert.NotNull(log.Compact(7000));
        Assert.Single(Batches.Records(log), r => r.Key == "b");
    }
}
