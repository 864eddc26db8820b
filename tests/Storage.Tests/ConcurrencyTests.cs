using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ReadersSeeConsistentBatchesWhileTheWriterRollsAndRetentionDeletes()
    {
        using var dir = new TempDir();
        var config = LogConfig.Default with { SegmentBytes = 4000, IndexIntervalBytes = 300, RetentionBytes = 40_000, RetentionMs = -1, FileDeleteDelayMs = 0 };
        using var log = PartitionLog.Open(dir.Path, "c", 0, config);
        var done = 0;
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var readers = Enumerable.Range(0, 3).Select(seed => Task.Run(() =>
        {
            var rng = new Random(seed);
            while (Volatile.Read(ref done) == 0)
            {
                var lso = log.LogStartOffset;
                var leo = log.LogEndOffset;
                if (leo <= lso)
                {
                    continue;
                }

                var offset = rng.NextInt64(lso, leo);
                var r = log.Read(offset, 2000, long.MaxValue, true);
                if (r.Error == ErrorCode.OffsetOutOfRange)
                {
                    continue; // retention moved the log start meanwhile
                }

                byte[] bytes;
                try
                {
                    bytes = ((FileRecordSet)r.Records).ToArray();
                }
                catch (Io.KafkaStorageException)
                {
                    continue; // the segment was deleted after the read (file.delete.delay.ms = 0)
                }

                var headers = Batches.Headers(bytes);
                if (headers.Count == 0 || headers[0].BaseOffset > offset || headers[0].LastOffset < offset)
                {
                    errors.Add($"offset {offset}: got {(headers.Count == 0 ? "nothing" : $"{headers[0].BaseOffset}..{headers[0].LastOffset}")}");
                }

                for (var i = 1; i < headers.Count; i++)
                {
                    if (headers[i].BaseOffset != headers[i - 1].LastOffset + 1)
                    {
                        errors.Add($"gap after {headers[i - 1].LastOffset}");
                    }
                }
            }
        })).ToArray();

        for (var i = 0; i < 1500; i++)
        {
            log.AppendAsLeader(Batches.Make(3, valueSize: 30), 0, TimestampType.CreateTime, 1);
            log.HighWatermark = log.LogEndOffset;
            if (i % 50 == 0)
            {
                log.DeleteOldSegments(1);
            }
        }

        Volatile.Write(ref done, 1);
        await Task.WhenAll(readers);
        Assert.Empty(errors);
        Assert.Equal(4500, log.LogEndOffset);
        Assert.True(log.LogStartOffset > 0);
    }
}
