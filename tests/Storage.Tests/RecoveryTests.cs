using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Checkpoints;

namespace KafkaOperator.Storage.Tests;

public sealed class RecoveryTests
{
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 3000, IndexIntervalBytes = 200 };

    private sealed record Stored(long BaseOffset, long LastOffset, string File, long Position, int Size);

    private static List<Stored> Layout(string partitionDir)
    {
        var result = new List<Stored>();
        foreach (var file in Directory.GetFiles(partitionDir, "*.log").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            var p = 0;
            foreach (var h in Batches.Headers(bytes))
            {
                result.Add(new Stored(h.BaseOffset, h.LastOffset, file, p, h.TotalSize));
                p += h.TotalSize;
            }
        }

        return result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TornOrCorruptTailRecoversExactlyTheIntactPrefix(bool corrupt)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            using var dir = new TempDir();
            var rng = new Random(seed);
            var log = PartitionLog.Open(dir.Path, "t", 0, Config);
            var n = rng.Next(5, 40);
            for (var i = 0; i < n; i++)
            {
                log.AppendAsLeader(Batches.Make(rng.Next(1, 6), valueSize: rng.Next(1, 300)), 0, TimestampType.CreateTime, 1);
            }

            var partitionDir = log.Directory;
            log.CloseWithoutFlush();
            var layout = Layout(partitionDir);
            Assert.Equal(n, layout.Count);

            // Damage one byte (or cut the file there) somewhere in a random segment, at a random position.
            var victimFile = layout[rng.Next(layout.Count)].File;
            var length = new FileInfo(victimFile).Length;
            var at = rng.NextInt64(0, length);
            if (corrupt)
            {
                using var fs = new FileStream(victimFile, FileMode.Open, FileAccess.ReadWrite);
                fs.Position = at;
                var b = (byte)fs.ReadByte();
                fs.Position = at;
                fs.WriteByte((byte)(b ^ rng.Next(1, 256)));
            }
            else
            {
                using var fs = new FileStream(victimFile, FileMode.Open, FileAccess.ReadWrite);
                fs.SetLength(at);
            }

            // Intact prefix: every batch before the damaged one (in log order).
            var damaged = layout.FindIndex(s => s.File == victimFile && at >= s.Position && at < s.Position + s.Size);
            var expected = layout.Take(damaged).Select(s => s.BaseOffset).ToList();
            var expectedLeo = damaged == 0 ? 0 : layout[damaged - 1].LastOffset + 1;

            using var reopened = PartitionLog.Open(dir.Path, "t", 0, Config, hadCleanShutdown: false, recoveryPoint: 0);
            Assert.True(expectedLeo == reopened.LogEndOffset, $"seed {seed}: LEO {reopened.LogEndOffset}, expected {expectedLeo} (damage at {at} of {Path.GetFileName(victimFile)})");
            Assert.Equal(expected, Batches.ReadAll(reopened).Select(h => h.BaseOffset));
            // As Kafka: recovery leaves the recovery point where it was; the next flush makes the records durable and moves it.
            Assert.Equal(0, reopened.RecoveryPoint);
            reopened.Flush();
            Assert.Equal(expectedLeo, reopened.RecoveryPoint);
            var next = reopened.AppendAsLeader(Batches.Make(2), 0, TimestampType.CreateTime, 1);
            Assert.Equal(expectedLeo, next.FirstOffset);
            Assert.Equal(expected.Count + 1, Batches.ReadAll(reopened).Count);
        }
    }

    [Fact]
    public void MissingOrCorruptIndexesAreRebuilt()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Config);
        for (var i = 0; i < 60; i++)
        {
            log.AppendAsLeader(Batches.Make(3, valueSize: 50), 0, TimestampType.CreateTime, 1);
        }

        var expected = Batches.ReadAll(log).Select(h => h.BaseOffset).ToList();
        var partitionDir = log.Directory;
        log.Dispose();
        var indexes = Directory.GetFiles(partitionDir, "*.index").Order(StringComparer.Ordinal).ToList();
        Assert.True(indexes.Count > 2);
        File.Delete(indexes[0]);
        File.WriteAllBytes(indexes[1], [1, 2, 3]);
        File.Delete(Directory.GetFiles(partitionDir, "*.timeindex").Order(StringComparer.Ordinal).First());

        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Config);
        Assert.Equal(expected, Batches.ReadAll(reopened).Select(h => h.BaseOffset));
        Assert.Equal(180, reopened.LogEndOffset);
        Assert.True(new FileInfo(indexes[1]).Length % 8 == 0);
    }

    [Fact]
    public void CleanAndUncleanRestartKeepEverything()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = new LogManagerOptions { Time = clock, StartBackgroundJobs = false };
        var manager = new LogManager([dir.Path], Config, options);
        for (var p = 0; p < 3; p++)
        {
            var log = manager.GetOrCreateLog("topic-a", p);
            for (var i = 0; i < 20; i++)
            {
                log.AppendAsLeader(Batches.Make(2), 1, TimestampType.CreateTime, clock.NowMs);
            }

            log.HighWatermark = log.LogEndOffset;
        }

        manager.Dispose();
        Assert.True(File.Exists(Path.Combine(dir.Path, LogManager.CleanShutdownFile)));
        var rp = File.ReadAllLines(Path.Combine(dir.Path, LogManager.RecoveryPointCheckpoint));
        Assert.Equal(["0", "3", "topic-a 0 40", "topic-a 1 40", "topic-a 2 40"], rp);
        Assert.Equal(["0", "3", "topic-a 0 40", "topic-a 1 40", "topic-a 2 40"], File.ReadAllLines(Path.Combine(dir.Path, LogManager.HighWatermarkCheckpoint)));
        Assert.Equal(["0", "1", "1 0"], File.ReadAllLines(Path.Combine(dir.Path, "topic-a-0", "leader-epoch-checkpoint")));

        manager = new LogManager([dir.Path], Config, options);
        Assert.True(manager.HadCleanShutdown);
        Assert.False(File.Exists(Path.Combine(dir.Path, LogManager.CleanShutdownFile)));
        for (var p = 0; p < 3; p++)
        {
            var log = manager.GetLog("topic-a", p)!;
            Assert.Equal((40L, 40L, 40L), (log.LogEndOffset, log.HighWatermark, log.RecoveryPoint));
            log.AppendAsLeader(Batches.Make(2), 2, TimestampType.CreateTime, clock.NowMs);
        }

        manager.WriteCheckpoints();
        manager.SimulateCrash();

        manager = new LogManager([dir.Path], Config, options);
        Assert.False(manager.HadCleanShutdown);
        for (var p = 0; p < 3; p++)
        {
            var log = manager.GetLog("topic-a", p)!;
            Assert.Equal(42, log.LogEndOffset);
            Assert.Equal(21, Batches.ReadAll(log).Count);
            Assert.Equal((2, 42L), log.EndOffsetForEpoch(2));
            Assert.Equal((1, 40L), log.EndOffsetForEpoch(1));
        }

        manager.Dispose();
    }

    [Fact]
    public void LoadTruncatesEpochsInMemoryAndTheFirstFlushWritesThem()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = new LogManagerOptions { Time = clock, StartBackgroundJobs = false };
        var epochFile = Path.Combine(dir.Path, "topic-a-0", LeaderEpochCache.FileName);
        var manager = new LogManager([dir.Path], Config, options);
        // Led in epoch 3 without a record: the epoch starts at the log end, which loading drops (as Kafka does).
        manager.GetOrCreateLog("topic-a", 0).EpochCache.Assign(3, 0);
        manager.SimulateCrash();
        var written = File.GetLastWriteTimeUtc(epochFile);
        for (var start = 0; start < 2; start++)
        {
            manager = new LogManager([dir.Path], Config, options);
            var log = manager.GetLog("topic-a", 0)!;
            Assert.Empty(log.EpochCache.Entries);
            // Not written at load: a crash before the next write leaves the stale entry, which the next load drops again.
            Assert.Equal(["0", "1", "3 0"], File.ReadAllLines(epochFile));
            Assert.Equal(written, File.GetLastWriteTimeUtc(epochFile));
            if (start == 0)
                manager.SimulateCrash();
        }

        var led = manager.GetLog("topic-a", 0)!;
        led.AppendAsLeader(Batches.Make(2), 4, TimestampType.CreateTime, clock.NowMs);
        led.Flush(led.LogEndOffset);
        Assert.Equal(["0", "1", "4 0"], File.ReadAllLines(epochFile));
        manager.SimulateCrash();
        manager = new LogManager([dir.Path], Config, options);
        Assert.Equal([(4, 0L)], manager.GetLog("topic-a", 0)!.EpochCache.Entries);
        Assert.Equal(2, manager.GetLog("topic-a", 0)!.LogEndOffset);
        manager.Dispose();
    }

    [Fact]
    public void DeletedLogDirectoryIsRenamedThenRemoved()
    {
        using var dir = new TempDir();
        var manager = new LogManager([dir.Path], Config, new LogManagerOptions { StartBackgroundJobs = false });
        manager.GetOrCreateLog("gone", 0).AppendAsLeader(Batches.Make(1), 0, TimestampType.CreateTime, 1);
        Assert.True(manager.DeleteLog("gone", 0));
        Assert.Null(manager.GetLog("gone", 0));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "gone-0")));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.GetDirectories(dir.Path).Length > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        Assert.Empty(Directory.GetDirectories(dir.Path));
        manager.Dispose();
    }
}
