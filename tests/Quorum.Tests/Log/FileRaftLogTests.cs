using KafkaOperator.Quorum.Log;

namespace KafkaOperator.Quorum.Tests.Log;

public sealed class FileRaftLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-log-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RaftEntry Entry(long offset, int epoch, int size) =>
        new(offset, epoch, Enumerable.Range(0, size).Select(i => (byte)(offset + i)).ToArray());

    [Fact]
    public void AppendsReadsTruncatesAndSurvivesReopen()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append([Entry(0, 1, 0), Entry(1, 1, 10), Entry(2, 2, 20)]);
            Assert.Equal(0, log.FlushedOffset);
            log.Flush();
            log.Append([Entry(3, 2, 5), Entry(4, 4, 5)]);
            Assert.Equal(5, log.EndOffset);
            Assert.Equal(3, log.FlushedOffset);
            Assert.Equal((4L, 2), log.EndOffsetForEpoch(3));
            Assert.Equal((2L, 1), log.EndOffsetForEpoch(1));
            Assert.Equal((0L, 0), log.EndOffsetForEpoch(0));
            Assert.Equal((5L, 4), log.EndOffsetForEpoch(9));
            Assert.Equal([1L, 2], log.Read(1, 30).Select(e => e.Offset));
            Assert.Single(log.Read(2, 1));
            Assert.Equal(Entry(2, 2, 20).Payload, log.Read(2, 100)[0].Payload);
            log.TruncateTo(4);
            Assert.Equal(2, log.LastEpoch);
            log.Append([Entry(4, 3, 7)]);
            log.Flush();
            Assert.Throws<ArgumentException>(() => log.Append([Entry(9, 3, 1)]));
            Assert.Throws<ArgumentException>(() => log.Append([Entry(5, 1, 1)]));
        }
        using var reopened = FileRaftLog.Open(_dir);
        Assert.Equal(5, reopened.EndOffset);
        Assert.Equal(5, reopened.FlushedOffset);
        Assert.Equal(3, reopened.EpochAt(4));
        Assert.Equal(Entry(4, 3, 7).Payload, reopened.Read(4, 100)[0].Payload);
        Assert.Equal([0, 1, 1, 2, 2, 3], Enumerable.Range(-1, 6).Select(o => Math.Max(0, reopened.EpochAt(o))));
    }

    [Fact]
    public void RecoveryDropsATornOrCorruptTailAtAnyCut()
    {
        var entries = Enumerable.Range(0, 20).Select(i => Entry(i, 1 + i / 5, i % 7 * 3)).ToList();
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append(entries);
            log.Flush();
        }
        var path = Path.Combine(_dir, FileRaftLog.FileName);
        var original = File.ReadAllBytes(path);
        var boundaries = new List<long> { 0 };
        foreach (var e in entries)
            boundaries.Add(boundaries[^1] + 20 + e.Payload.Length);
        var random = new Random(42);
        for (var trial = 0; trial < 60; trial++)
        {
            var cut = random.Next(original.Length + 1);
            var bytes = original[..cut];
            var corrupt = trial % 3 == 0 && cut > 0;
            var flipped = corrupt ? random.Next(cut) : -1;
            if (corrupt)
                bytes[flipped] ^= 0x40;
            File.WriteAllBytes(path, bytes);

            using var log = FileRaftLog.Open(_dir);
            var whole = boundaries.Count(b => b <= cut) - 1;
            var expected = corrupt ? Math.Min(whole, boundaries.Count(b => b <= flipped) - 1) : whole;
            Assert.Equal(expected, log.EndOffset);
            Assert.Equal(boundaries[(int)expected], new FileInfo(path).Length);
            for (var i = 0; i < expected; i++)
                Assert.Equal(entries[i].Payload, log.Read(i, 1000)[0].Payload);
            // The recovered log takes appends where it ends.
            log.Append([Entry(expected, 9, 4)]);
            log.Flush();
        }
    }
}
