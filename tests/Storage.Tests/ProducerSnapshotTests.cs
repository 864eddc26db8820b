using System.Collections.Concurrent;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Producers;

namespace KafkaOperator.Storage.Tests;

public sealed class ProducerSnapshotTests
{
    // About five two-record batches per segment.
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 500, IndexIntervalBytes = 100, FileDeleteDelayMs = 0 };

    // Appends at the wall clock's time: a producer's idle time, which loading a snapshot checks against
    // producer.id.expiration.ms, is measured from its last append.
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private sealed class Producer(PartitionLog log, long id, short epoch = 0)
    {
        public int NextSeq { get; private set; }

        public List<(int Seq, long First, long Last)> Sent { get; } = [];

        public AppendResult Send(int records = 2)
        {
            var r = log.AppendAsLeader(Batches.Make(records, producerId: id, epoch: epoch, seq: NextSeq), 0, TimestampType.CreateTime, Now);
            Assert.Equal(ErrorCode.None, r.Error);
            Sent.Add((NextSeq, r.FirstOffset, r.LastOffset));
            NextSeq += records;
            return r;
        }

        public AppendResult Retry(PartitionLog target, int index, int records = 2) =>
            target.AppendAsLeader(Batches.Make(records, producerId: id, epoch: epoch, seq: Sent[index].Seq), 0, TimestampType.CreateTime, Now);
    }

    private static string SnapshotFile(PartitionLog log, long offset) => Path.Combine(log.Directory, $"{offset:D20}.snapshot");

    private static List<long> SnapshotFilesOnDisk(string partitionDir) =>
        [.. Directory.GetFiles(partitionDir, "*.snapshot").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order()];

    [Fact]
    public void SnapshotsAreWrittenAtEachRollAndAtCloseAndOnlyTheNewestAreKept()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        var p = new Producer(log, 7);
        while (log.SegmentCount < 2)
        {
            p.Send();
        }

        // The roll snapshot holds the state after the rolled segment: every batch but the one that rolled it.
        var firstRoll = log.SegmentBaseOffsets[1];
        Assert.Equal([firstRoll], log.ProducerSnapshotOffsets);
        Assert.True(ProducerSnapshotFile.TryRead(SnapshotFile(log, firstRoll), out var entries, out var error), error);
        var entry = Assert.Single(entries);
        Assert.Equal((7L, (short)0, -1), (entry.ProducerId, entry.Epoch, entry.CoordinatorEpoch));
        Assert.Equal(p.Sent[^2].Last, entry.Batches[^1].LastOffset);
        Assert.Equal(firstRoll - 1, entry.Batches[^1].LastOffset);

        while (log.SegmentCount < 6)
        {
            p.Send();
        }

        p.Send();
        var bases = log.SegmentBaseOffsets;
        Assert.Equal(bases.Skip(3), log.ProducerSnapshotOffsets);
        Assert.Equal(bases.Skip(3), SnapshotFilesOnDisk(log.Directory));

        var leo = log.LogEndOffset;
        var partitionDir = log.Directory;
        log.Dispose();
        Assert.Equal([bases[4], bases[5], leo], SnapshotFilesOnDisk(partitionDir));
        Assert.True(ProducerSnapshotFile.TryRead(Path.Combine(partitionDir, $"{leo:D20}.snapshot"), out entries, out error), error);
        Assert.Equal(
            p.Sent.TakeLast(ProducerStateManager.BatchesToRetain).Select(s => (s.Seq, s.First, s.Last)),
            Assert.Single(entries).Batches.Select(b => (b.FirstSeq, b.FirstOffset, b.LastOffset)));
    }

    [Fact]
    public void CleanReopenRestoresProducersFromTheSnapshotWithoutReadingTheLog()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        var early = new Producer(log, 1);
        var late = new Producer(log, 2, epoch: 4);
        for (var i = 0; i < 7; i++)
        {
            early.Send();
        }

        Assert.True(log.SegmentCount >= 2);
        var earlySegment = Path.Combine(log.Directory, $"{log.SegmentBaseOffsets[0]:D20}.log");
        log.Roll();
        for (var i = 0; i < 3; i++)
        {
            late.Send(1);
        }

        var expected = (log.ProducerState(1), log.ProducerState(2));
        var leo = log.LogEndOffset;
        log.Dispose();

        // The first segment becomes unreadable garbage: a scan would lose producer 1's batches in it.
        File.WriteAllBytes(earlySegment, new byte[new FileInfo(earlySegment).Length]);

        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Small);
        Assert.Equal(new ProducerStateRebuild(leo, leo, 0), reopened.LastProducerStateRebuild);
        Assert.Equal(expected, (reopened.ProducerState(1), reopened.ProducerState(2)));

        // Retries of any of the last five batches get their original offsets; the next sequence goes on.
        for (var i = early.Sent.Count - ProducerStateManager.BatchesToRetain; i < early.Sent.Count; i++)
        {
            var dup = early.Retry(reopened, i);
            Assert.Equal((ErrorCode.None, true, early.Sent[i].First, early.Sent[i].Last), (dup.Error, dup.Duplicate, dup.FirstOffset, dup.LastOffset));
        }

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, early.Retry(reopened, early.Sent.Count - ProducerStateManager.BatchesToRetain - 1).Error);
        var lateDup = late.Retry(reopened, 2, records: 1);
        Assert.Equal((true, late.Sent[2].First), (lateDup.Duplicate, lateDup.FirstOffset));
        Assert.Equal(leo, reopened.LogEndOffset);
        var next = reopened.AppendAsLeader(Batches.Make(1, producerId: 2, epoch: 4, seq: late.NextSeq), 0, TimestampType.CreateTime, Now);
        Assert.Equal((ErrorCode.None, leo), (next.Error, next.FirstOffset));
    }

    [Fact]
    public void CrashRecoversFromTheLastRollSnapshotPlusTheTail()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        var before = new Producer(log, 10);
        var both = new Producer(log, 11);
        for (var i = 0; i < 6; i++)
        {
            before.Send();
            both.Send();
        }

        log.Roll();
        var snapshotAt = log.LogEndOffset;
        both.Send(1);
        both.Send(1);
        var tailBatches = Batches.ReadAll(log, snapshotAt).Count;
        Assert.Equal(2, tailBatches);
        var expected = (log.ProducerState(10), log.ProducerState(11));
        var leo = log.LogEndOffset;
        log.CloseWithoutFlush();

        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Small, hadCleanShutdown: false, recoveryPoint: 0);
        Assert.Equal(leo, reopened.LogEndOffset);
        Assert.Equal(new ProducerStateRebuild(snapshotAt, snapshotAt, tailBatches), reopened.LastProducerStateRebuild);
        Assert.Equal(expected, (reopened.ProducerState(10), reopened.ProducerState(11)));

        // Duplicates from before the snapshot and from the tail, then the next in sequence.
        var beforeDup = before.Retry(reopened, before.Sent.Count - 1);
        Assert.Equal((true, before.Sent[^1].First), (beforeDup.Duplicate, beforeDup.FirstOffset));
        var tailDup = both.Retry(reopened, both.Sent.Count - 1, records: 1);
        Assert.Equal((true, both.Sent[^1].First), (tailDup.Duplicate, tailDup.FirstOffset));
        var older = both.Retry(reopened, both.Sent.Count - 3);
        Assert.Equal((true, both.Sent[^3].First), (older.Duplicate, older.FirstOffset));
        Assert.Equal(leo, reopened.AppendAsLeader(Batches.Make(1, producerId: 11, epoch: 0, seq: both.NextSeq), 0, TimestampType.CreateTime, Now).FirstOffset);
    }

    [Fact]
    public void CorruptSnapshotsAreIgnoredWithAWarningAndTheLoadFallsBack()
    {
        using var dir = new TempDir();
        var warnings = new ConcurrentQueue<string>();
        var options = new PartitionLogOptions { Warn = warnings.Enqueue };
        var log = PartitionLog.Open(dir.Path, "t", 0, Small, options);
        var p = new Producer(log, 3);
        while (log.SegmentCount < 4)
        {
            p.Send();
        }

        p.Send();
        var expected = log.ProducerState(3);
        var lastRoll = log.SegmentBaseOffsets[^1];
        var leo = log.LogEndOffset;
        var partitionDir = log.Directory;
        log.Dispose();
        Assert.Empty(warnings);

        // The newest (close) snapshot has a flipped byte: the load warns, deletes it and takes the roll snapshot.
        var newest = Path.Combine(partitionDir, $"{leo:D20}.snapshot");
        var bytes = File.ReadAllBytes(newest);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(newest, bytes);
        log = PartitionLog.Open(dir.Path, "t", 0, Small, options);
        Assert.Contains(warnings, w => w.Contains(Path.GetFileName(newest), StringComparison.Ordinal) && w.Contains("CRC", StringComparison.Ordinal));
        Assert.Equal(lastRoll, log.LastProducerStateRebuild.SnapshotOffset);
        Assert.Equal(expected, log.ProducerState(3));
        Assert.DoesNotContain(leo, log.ProducerSnapshotOffsets);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1, producerId: 3, epoch: 0, seq: p.NextSeq), 0, TimestampType.CreateTime, Now).Error);
        expected = log.ProducerState(3);
        log.Dispose();

        // Every snapshot damaged differently (unknown version, torn, empty): a full scan gives the same state.
        var files = Directory.GetFiles(partitionDir, "*.snapshot").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        var first = File.ReadAllBytes(files[0]);
        first[0] = 99;
        File.WriteAllBytes(files[0], first);
        File.WriteAllBytes(files[1], File.ReadAllBytes(files[1])[..7]);
        File.WriteAllBytes(files[2], []);
        warnings.Clear();
        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Small, options);
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("unknown version 99", StringComparison.Ordinal));
        Assert.Null(reopened.LastProducerStateRebuild.SnapshotOffset);
        Assert.Equal(0, reopened.LastProducerStateRebuild.ScanFrom);
        Assert.Equal(expected, reopened.ProducerState(3));
        Assert.Empty(SnapshotFilesOnDisk(partitionDir));
    }

    [Fact]
    public void TruncationBelowSnapshotsDeletesThemAndRebuildsFromAnOlderOne()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small);
        var p = new Producer(log, 5, epoch: 2);
        while (log.SegmentCount < 4)
        {
            p.Send();
        }

        p.Send();
        var bases = log.SegmentBaseOffsets;
        Assert.Equal(bases.Skip(1), log.ProducerSnapshotOffsets);

        // Cut inside the third segment, at a batch boundary: the snapshot at its base is the one to start from.
        var keep = p.Sent.FindIndex(s => s.First >= bases[2]) + 1;
        var cut = p.Sent[keep].Last + 1;
        Assert.True(cut < bases[3]);
        Assert.True(log.TruncateTo(cut));
        Assert.Equal([bases[1], bases[2]], log.ProducerSnapshotOffsets);
        Assert.Equal([bases[1], bases[2]], SnapshotFilesOnDisk(log.Directory));
        Assert.Equal(bases[2], log.LastProducerStateRebuild.SnapshotOffset);
        Assert.Equal(keep - p.Sent.FindIndex(s => s.First >= bases[2]) + 1, log.LastProducerStateRebuild.BatchesScanned);
        Assert.Equal(((short)2, p.Sent[keep].Seq + 1, p.Sent[keep].Last), log.ProducerState(5));

        // The producer's truncated batches are no duplicates: the next one after the cut goes on at the cut.
        var again = log.AppendAsLeader(Batches.Make(2, producerId: 5, epoch: 2, seq: p.Sent[keep + 1].Seq), 0, TimestampType.CreateTime, Now);
        Assert.Equal((ErrorCode.None, false, cut), (again.Error, again.Duplicate, again.FirstOffset));
        var expected = log.ProducerState(5);
        log.Dispose();
        using (var reopened = PartitionLog.Open(dir.Path, "t", 0, Small))
        {
            Assert.Equal(expected, reopened.ProducerState(5));

            // Truncating fully forgets producers and snapshots alike.
            reopened.TruncateFullyAndStartAt(1000);
            Assert.Null(reopened.ProducerState(5));
            Assert.Empty(reopened.ProducerSnapshotOffsets);
            Assert.Empty(SnapshotFilesOnDisk(reopened.Directory));
        }
    }

    [Fact]
    public void RetentionAndDeleteRecordsDeleteTheSnapshotsBelowTheLogStart()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Small with { RetentionBytes = 300, RetentionMs = -1 });
        var gone = new Producer(log, 8);
        gone.Send();
        var p = new Producer(log, 9);
        while (log.SegmentCount < 6)
        {
            p.Send();
        }

        log.HighWatermark = log.LogEndOffset;
        var snapshots = log.ProducerSnapshotOffsets;
        Assert.Equal(3, snapshots.Count);
        Assert.True(log.DeleteOldSegments(Now) > 0);
        var lso = log.LogStartOffset;
        Assert.True(lso > snapshots[0], $"log start {lso}");
        Assert.All(log.ProducerSnapshotOffsets, o => Assert.True(o >= lso));
        Assert.Equal(snapshots.Where(o => o >= lso), SnapshotFilesOnDisk(log.Directory));

        var (error, low) = log.DeleteRecordsBefore(log.SegmentBaseOffsets[^1] + 1);
        Assert.Equal(ErrorCode.None, error);
        Assert.DoesNotContain(log.ProducerSnapshotOffsets, o => o < low);
        Assert.DoesNotContain(SnapshotFilesOnDisk(log.Directory), o => o < low);

        // The state survives a restart as it is in memory: producer 8's batch is gone but (until it expires) its
        // entry stays, so that its next batch is checked against its sequence (KIP-360).
        var expected = (log.ProducerState(8), log.ProducerState(9));
        Assert.NotNull(expected.Item1);
        log.Dispose();
        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Small, logStartOffset: low);
        Assert.Equal(expected, (reopened.ProducerState(8), reopened.ProducerState(9)));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, reopened.AppendAsLeader(Batches.Make(1, producerId: 8, epoch: 0, seq: 5), 0, TimestampType.CreateTime, Now).Error);
    }

    [Fact]
    public void ProducersIdleLongerThanTheExpirationAreNotLoadedFromASnapshot()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var options = new PartitionLogOptions { Time = clock, ProducerIdExpirationMs = 60_000 };
        var log = PartitionLog.Open(dir.Path, "t", 0, Small, options);
        log.AppendAsLeader(Batches.Make(1, producerId: 1, epoch: 0, seq: 0), 0, TimestampType.CreateTime, clock.NowMs);
        clock.Advance(50_000);
        log.AppendAsLeader(Batches.Make(1, producerId: 2, epoch: 0, seq: 0), 0, TimestampType.CreateTime, clock.NowMs);
        log.Dispose();

        clock.Advance(20_000);
        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Small, options);
        Assert.NotNull(reopened.LastProducerStateRebuild.SnapshotOffset);
        Assert.Null(reopened.ProducerState(1));
        Assert.Equal(((short)0, 0, 1L), reopened.ProducerState(2));
        clock.Advance(50_000);
        reopened.DeleteOldSegments(clock.NowMs);
        Assert.Null(reopened.ProducerState(2));
    }

    [Fact]
    public void SnapshotsGoThroughTheLogManagerRestartCycle()
    {
        using var dir = new TempDir();
        var warnings = new ConcurrentQueue<string>();
        var options = new LogManagerOptions { StartBackgroundJobs = false, Warn = warnings.Enqueue };
        var manager = new LogManager([dir.Path], Small, options);
        var log = manager.GetOrCreateLog("idem", 0);
        var p = new Producer(log, 77);
        for (var i = 0; i < 12; i++)
        {
            p.Send();
        }

        var expected = log.ProducerState(77);
        var leo = log.LogEndOffset;
        manager.Dispose();

        // A corrupt close snapshot is reported through the manager's hook and the log loads all the same.
        var newest = Path.Combine(dir.Path, "idem-0", $"{leo:D20}.snapshot");
        File.WriteAllBytes(newest, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        manager = new LogManager([dir.Path], Small, options);
        Assert.Empty(manager.OfflineLogs);
        Assert.Contains(warnings, w => w.Contains("idem-0", StringComparison.Ordinal) && w.Contains("CRC", StringComparison.Ordinal));
        Assert.Equal(expected, manager.GetLog("idem", 0)!.ProducerState(77));
        manager.Dispose();
    }
}
