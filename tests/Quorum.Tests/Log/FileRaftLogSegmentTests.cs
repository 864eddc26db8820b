using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Log;

/// <summary>The metadata log's segments: rolling, truncation below a snapshot (segments deleted), and the start kept across a reopen.</summary>
public sealed class FileRaftLogSegmentTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-segments-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RaftEntry Entry(long offset, int epoch) => new(offset, epoch, new byte[30]);

    private static void AppendRange(FileRaftLog log, int count, int epoch)
    {
        var start = log.EndOffset;
        for (var i = 0; i < count; i++)
            log.Append([Entry(start + i, epoch)]);
        log.Flush();
    }

    [Fact]
    public void SegmentsRollAndThoseWhollyBelowTheStartAreDeletedDurably()
    {
        using (var log = FileRaftLog.Open(_dir, segmentBytes: 200))
        {
            // 50 bytes an entry: four to a segment.
            AppendRange(log, 10, 1);
            AppendRange(log, 10, 2);
            Assert.Equal([0L, 4, 8, 12, 16], log.SegmentBaseOffsets);
            log.TruncatePrefix(9, 1);
            Assert.Equal(9, log.StartOffset);
            Assert.Equal([8L, 12, 16], log.SegmentBaseOffsets);
            Assert.Equal(1, log.EpochAt(8));
            Assert.Equal(-1, log.EpochAt(7));
            Assert.Empty(log.Read(8, 100));
            Assert.Equal(9, log.Read(9, 10)[0].Offset);
            Assert.Equal((10L, 1), log.EndOffsetForEpoch(1));
            Assert.Equal((-1L, -1), log.EndOffsetForEpoch(0));
            Assert.False(File.Exists(Path.Combine(_dir, FileRaftLog.FileName)));
        }
        using var reopened = FileRaftLog.Open(_dir, segmentBytes: 200);
        Assert.Equal(9, reopened.StartOffset);
        Assert.Equal(20, reopened.EndOffset);
        Assert.Equal(1, reopened.EpochAt(8));
        Assert.Equal(2, reopened.EpochAt(19));
        Assert.Equal((10L, 1), reopened.EndOffsetForEpoch(1));
        Assert.Equal(10, reopened.Read(9, 60).Select(e => e.Offset).Last());
        reopened.Append([Entry(20, 3)]);
        Assert.Equal(21, reopened.EndOffset);
    }

    [Fact]
    public void ASnapshotBeyondTheLogOrOnAnotherEpochEmptiesItAtTheSnapshot()
    {
        using (var log = FileRaftLog.Open(_dir, segmentBytes: 200))
        {
            AppendRange(log, 6, 1);
            // The snapshot's last entry is at 5 in epoch 2, where this log has epoch 1: nothing here continues it.
            log.TruncatePrefix(6, 2);
            Assert.Equal((6L, 6L), (log.StartOffset, log.EndOffset));
            Assert.Equal(2, log.LastEpoch);
            log.TruncatePrefix(40, 3);
            Assert.Equal((40L, 40L), (log.StartOffset, log.EndOffset));
            Assert.Equal(3, log.LastEpoch);
            Assert.Equal(3, log.EpochAt(39));
            Assert.Equal([40L], log.SegmentBaseOffsets);
            log.Append([Entry(40, 3), Entry(41, 4)]);
            log.Flush();
        }
        using var reopened = FileRaftLog.Open(_dir, segmentBytes: 200);
        Assert.Equal((40L, 42L), (reopened.StartOffset, reopened.EndOffset));
        Assert.Equal((41L, 3), reopened.EndOffsetForEpoch(3));
        reopened.Clear();
        Assert.Equal((0L, 0L, 0), (reopened.StartOffset, reopened.EndOffset, reopened.LastEpoch));
    }

    [Fact]
    public void ATornTailInTheLastSegmentIsCutAndEarlierSegmentsKept()
    {
        using (var log = FileRaftLog.Open(_dir, segmentBytes: 200))
            AppendRange(log, 10, 1);
        var last = Path.Combine(_dir, "00000000000000000008.log");
        using (var stream = new FileStream(last, FileMode.Open))
            stream.SetLength(stream.Length - 7);
        using var reopened = FileRaftLog.Open(_dir, segmentBytes: 200);
        Assert.Equal(9, reopened.EndOffset);
        Assert.Equal([0L, 4, 8], reopened.SegmentBaseOffsets);
    }
}
