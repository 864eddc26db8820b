using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Tests;

public sealed class ProducerStateTests
{
    [Fact]
    public void DuplicateBatchReturnsOriginalOffsetsAndAppendsNothing()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        log.AppendAsLeader(Batches.Make(2), 0, TimestampType.CreateTime, 1);
        var first = log.AppendAsLeader(Batches.Make(3, producerId: 42, epoch: 0, seq: 0), 0, TimestampType.CreateTime, 1);
        var second = log.AppendAsLeader(Batches.Make(2, producerId: 42, epoch: 0, seq: 3), 0, TimestampType.CreateTime, 1);
        Assert.Equal((2L, 4L), (first.FirstOffset, first.LastOffset));
        var leo = log.LogEndOffset;

        var dup = log.AppendAsLeader(Batches.Make(3, producerId: 42, epoch: 0, seq: 0), 0, TimestampType.CreateTime, 1);
        Assert.Equal((ErrorCode.None, 2L, 4L, true), (dup.Error, dup.FirstOffset, dup.LastOffset, dup.Duplicate));
        var dup2 = log.AppendAsLeader(Batches.Make(2, producerId: 42, epoch: 0, seq: 3), 0, TimestampType.CreateTime, 1);
        Assert.Equal((second.FirstOffset, second.LastOffset), (dup2.FirstOffset, dup2.LastOffset));
        Assert.Equal(leo, log.LogEndOffset);
        Assert.Equal((short)0, log.ProducerState(42)!.Value.Epoch);
        Assert.Equal(4, log.ProducerState(42)!.Value.LastSequence);
    }

    [Fact]
    public void SequenceGapAndOldEpochAreRejected()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(2, producerId: 7, epoch: 1, seq: 0), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.AppendAsLeader(Batches.Make(1, producerId: 7, epoch: 1, seq: 5), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.AppendAsLeader(Batches.Make(1, producerId: 7, epoch: 0, seq: 2), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.AppendAsLeader(Batches.Make(1, producerId: 7, epoch: 2, seq: 3), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(2, log.LogEndOffset);

        // A bumped epoch starts again at 0; an unknown producer is accepted at any sequence.
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1, producerId: 7, epoch: 2, seq: 0), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1, producerId: 8, epoch: 0, seq: 17), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(Batches.Make(1, producerId: 8, epoch: 0, seq: 18), 0, TimestampType.CreateTime, 1).Error);

        // Two batches of one producer in one append must follow each other.
        var pair = Batches.Make(1, producerId: 9, epoch: 0, seq: 0).Concat(Batches.Make(1, producerId: 9, epoch: 0, seq: 2)).ToArray();
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.AppendAsLeader(pair, 0, TimestampType.CreateTime, 1).Error);
    }

    [Fact]
    public void OnlyTheLastFiveBatchesAreRemembered()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default);
        for (var i = 0; i < 7; i++)
        {
            log.AppendAsLeader(Batches.Make(1, producerId: 1, epoch: 0, seq: i), 0, TimestampType.CreateTime, 1);
        }

        Assert.True(log.AppendAsLeader(Batches.Make(1, producerId: 1, epoch: 0, seq: 2), 0, TimestampType.CreateTime, 1).Duplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.AppendAsLeader(Batches.Make(1, producerId: 1, epoch: 0, seq: 1), 0, TimestampType.CreateTime, 1).Error);
    }

    [Fact]
    public void ProducerStateIsRebuiltOnLoad()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default with { SegmentBytes = 500 });
        for (var i = 0; i < 10; i++)
        {
            log.AppendAsLeader(Batches.Make(2, producerId: 5, epoch: 3, seq: i * 2), 0, TimestampType.CreateTime, 1);
        }

        log.CloseWithoutFlush();
        using var reopened = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default with { SegmentBytes = 500 }, hadCleanShutdown: false);
        Assert.Equal(((short)3, 19, 19L), reopened.ProducerState(5));
        var dup = reopened.AppendAsLeader(Batches.Make(2, producerId: 5, epoch: 3, seq: 18), 0, TimestampType.CreateTime, 1);
        Assert.Equal((true, 18L), (dup.Duplicate, dup.FirstOffset));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, reopened.AppendAsLeader(Batches.Make(1, producerId: 5, epoch: 3, seq: 25), 0, TimestampType.CreateTime, 1).Error);
        Assert.Equal(20, reopened.AppendAsLeader(Batches.Make(1, producerId: 5, epoch: 3, seq: 20), 0, TimestampType.CreateTime, 1).FirstOffset);
    }

    [Fact]
    public void IdleProducersExpireDuringTheRetentionPass()
    {
        using var dir = new TempDir();
        using var log = PartitionLog.Open(dir.Path, "t", 0, LogConfig.Default, new PartitionLogOptions { ProducerIdExpirationMs = 1000 });
        log.AppendAsLeader(Batches.Make(1, producerId: 3, epoch: 0, seq: 0), 0, TimestampType.CreateTime, 10_000);
        log.DeleteOldSegments(10_500);
        Assert.NotNull(log.ProducerState(3));
        log.DeleteOldSegments(11_001);
        Assert.Null(log.ProducerState(3));
    }
}
