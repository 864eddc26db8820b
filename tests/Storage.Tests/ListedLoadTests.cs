using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Checkpoints;

namespace KafkaOperator.Storage.Tests;

/// <summary>
/// Loading from one listing of each partition directory (lengths of the segments and indexes from it, no file opened
/// until used, the leader-epoch-checkpoint of a log empty at offset 0 not read): recovery after kill -9 must find
/// exactly what reading every file did.
/// </summary>
[Collection(OpenFileCounts.Name)]
public sealed class ListedLoadTests
{
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 3000, IndexIntervalBytes = 200 };

    private static byte[] AllBytes(PartitionLog log)
    {
        var r = log.Read(log.LogStartOffset, 1 << 20, long.MaxValue, minOneBatch: true);
        Assert.Equal(KafkaOperator.Protocol.ErrorCode.None, r.Error);
        return ((Segments.FileRecordSet)r.Records).ToArray();
    }

    [Fact]
    public void ManySmallLogsRecoverTheirBytesAndATornTailWithoutRewritingEmptyOffsetIndexesOrHoldingFiles()
    {
        const int Partitions = 100;
        using var dir = new TempDir();
        var options = new LogManagerOptions { StartBackgroundJobs = false, MaxOpenInactiveFiles = 20 };
        var manager = new LogManager([dir.Path], Config, options);
        for (var p = 0; p < Partitions; p++)
        {
            manager.GetOrCreateLog("small", p).AppendAsLeader(Batches.Make(1 + (p % 3), valueSize: 20), 2, TimestampType.CreateTime, 1);
        }

        // A clean stop leaves every index file (empty: each log is below the index interval), then a crash after
        // more of the same and one torn append.
        manager.Dispose();
        manager = new LogManager([dir.Path], Config, options);
        var expected = new Dictionary<int, byte[]>();
        for (var p = 0; p < Partitions; p++)
        {
            var log = manager.GetLog("small", p)!;
            log.AppendAsLeader(Batches.Make(1, valueSize: 10), 3, TimestampType.CreateTime, 2);
            expected[p] = AllBytes(log);
        }

        var torn = manager.GetLog("small", 7)!;
        var tornSegment = Path.Combine(torn.Directory, "00000000000000000000.log");
        manager.WriteCheckpoints();
        manager.SimulateCrash();
        File.AppendAllText(tornSegment, "half a batch");
        // The offset indexes, empty; the time indexes hold the entry a clean close adds, which recovery rewrites.
        var indexes = Directory.GetFiles(dir.Path, "*.index", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.Equal(Partitions, indexes.Count);
        Assert.All(indexes.Keys, f => Assert.Equal(0, new FileInfo(f).Length));

        manager = new LogManager([dir.Path], Config, options);
        Assert.False(manager.HadCleanShutdown);
        // Read handles only, within the cache's cap (the process's own count moves with tests running beside this one).
        Assert.InRange(manager.Handles.OpenUnpinned, 1, options.MaxOpenInactiveFiles);
        Assert.Equal(indexes, Directory.GetFiles(dir.Path, "*.index", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc));
        for (var p = 0; p < Partitions; p++)
        {
            var log = manager.GetLog("small", p)!;
            Assert.Equal(expected[p], AllBytes(log));
            Assert.Equal([(2, 0L), (3, log.LogEndOffset - 1)], log.EpochCache.Entries);
        }

        Assert.Equal(expected[7].Length, new FileInfo(tornSegment).Length);
        var next = torn.LogEndOffset;
        Assert.Equal(next, manager.GetLog("small", 7)!.AppendAsLeader(Batches.Make(1), 3, TimestampType.CreateTime, 3).FirstOffset);
        manager.Dispose();
    }

    [Fact]
    public void ALogEmptyAboveOffsetZeroReadsItsEpochCheckpoint()
    {
        using var dir = new TempDir();
        var partitionDir = Path.Combine(dir.Path, "t-0");
        Directory.CreateDirectory(partitionDir);
        // Every record below 10 deleted (retention): one empty segment at 10, whose epochs the file still has.
        File.WriteAllBytes(Path.Combine(partitionDir, "00000000000000000010.log"), []);
        File.WriteAllLines(Path.Combine(partitionDir, LeaderEpochCache.FileName), ["0", "2", "1 0", "2 5"]);

        using var log = PartitionLog.Open(dir.Path, "t", 0, Config, hadCleanShutdown: false, recoveryPoint: 0, logStartOffset: 10);
        Assert.Equal(10, log.LogEndOffset);
        Assert.Equal([(2, 10L)], log.EpochCache.Entries);
        Assert.Equal((2, 10L), log.EndOffsetForEpoch(2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMalformedEpochCheckpointTakesALogWithRecordsOfflineButIsReplacedBesideAnEmptyOne(bool withRecords)
    {
        using var dir = new TempDir();
        var options = new LogManagerOptions { StartBackgroundJobs = false };
        var manager = new LogManager([dir.Path], Config, options);
        var log = manager.GetOrCreateLog("t", 0);
        log.EpochCache.Assign(1, 0);
        if (withRecords)
        {
            log.AppendAsLeader(Batches.Make(2), 1, TimestampType.CreateTime, 1);
        }

        var epochFile = Path.Combine(log.Directory, LeaderEpochCache.FileName);
        manager.SimulateCrash();
        File.WriteAllText(epochFile, "not a checkpoint");

        manager = new LogManager([dir.Path], Config, options);
        if (withRecords)
        {
            // As before: what the records' epochs were is unknown, so the partition is not served.
            Assert.True(manager.IsOffline("t", 0));
            manager.Dispose();
            return;
        }

        // Empty at offset 0: loading would drop every entry the file can hold, so it is not read; the next epoch
        // replaces it.
        log = manager.GetLog("t", 0)!;
        Assert.Empty(log.EpochCache.Entries);
        log.EpochCache.Assign(4, 0);
        Assert.Equal(["0", "1", "4 0"], File.ReadAllLines(epochFile));
        manager.Dispose();
    }
}

/// <summary>
/// Tests that count the process's open files, or hold many open while others count them, run one at a time: a
/// count taken while another such test holds hundreds of handles says nothing about the code under test.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OpenFileCounts
{
    public const string Name = "open file counts";
}
