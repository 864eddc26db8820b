using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Records;

public class RecordBatchReadTests
{
    [Fact]
    public void HandDerivedBatchReadsBackFieldByField()
    {
        var bytes = RecordBatchVectors.HandDerived;
        var header = RecordBatchHeader.Read(bytes);
        Assert.Equal(0, header.BaseOffset);
        Assert.Equal(bytes.Length, header.TotalSize);
        Assert.Equal(-1, header.PartitionLeaderEpoch);
        Assert.Equal(2, header.Magic);
        Assert.Equal(0xC41F1730u, header.Crc);
        Assert.True(RecordBatchHeader.CrcMatches(bytes));
        Assert.Equal(CompressionType.None, header.Compression);
        Assert.Equal(TimestampType.CreateTime, header.TimestampType);
        Assert.Equal(1, header.LastOffsetDelta);
        Assert.Equal(RecordBatchVectors.BaseTimestamp + 5, header.MaxTimestamp);
        Assert.False(header.HasProducerId);
        Assert.Equal(2, header.RecordCount);

        var records = new RecordBatch(bytes).GetRecords();
        Assert.True(records.MoveNext());
        var first = records.Current;
        Assert.Equal(0, first.Offset);
        Assert.Equal(RecordBatchVectors.BaseTimestamp, first.Timestamp);
        Assert.Equal("k", Encoding.UTF8.GetString(first.Key));
        Assert.Equal("v", Encoding.UTF8.GetString(first.Value));
        Assert.Equal(1, first.HeaderCount);
        foreach (var h in first.Headers)
        {
            Assert.Equal("h", Encoding.UTF8.GetString(h.Key));
            Assert.Equal("x", Encoding.UTF8.GetString(h.Value));
            Assert.False(h.ValueIsNull);
        }

        Assert.True(records.MoveNext());
        var second = records.Current;
        Assert.Equal(1, second.Offset);
        Assert.Equal(RecordBatchVectors.BaseTimestamp + 5, second.Timestamp);
        Assert.True(second.KeyIsNull);
        Assert.False(second.ValueIsNull);
        Assert.True(second.Value.IsEmpty);
        Assert.Equal(0, second.HeaderCount);
        Assert.False(records.MoveNext());
    }

    [Fact]
    public void BuilderReproducesTheHandDerivedBytesExactly()
    {
        using var builder = new RecordBatchBuilder();
        builder.Add(RecordBatchVectors.BaseTimestamp, "k"u8.ToArray(), "v"u8.ToArray(), [new RecordHeaderEntry("h", "x"u8.ToArray())]);
        builder.Add(RecordBatchVectors.BaseTimestamp + 5, null, []);
        Assert.Equal(Convert.ToHexString(RecordBatchVectors.HandDerived), Convert.ToHexString(builder.ToArray()));
    }

    [Fact]
    public void KafkaPythonBatchesOfEveryCodecValidateAndIterate()
    {
        using var scratch = new PooledBufferWriter();
        for (var codec = 0; codec < RecordBatchVectors.KafkaPython.Length; codec++)
        {
            var bytes = RecordBatchVectors.KafkaPython[codec];
            var result = RecordBatchValidator.Validate(bytes, 1 << 20);
            Assert.True(result.IsValid, result.ErrorMessage);
            Assert.Equal((CompressionType)codec, result.FirstBatch.Compression);
            Assert.Equal(3, result.RecordCount);
            Assert.Equal(1234, result.FirstBatch.ProducerId);
            Assert.Equal(5, result.FirstBatch.ProducerEpoch);
            Assert.Equal(7, result.FirstBatch.BaseSequence);
            Assert.Equal(RecordBatchVectors.BaseTimestamp + 5, result.FirstBatch.MaxTimestamp);
            Assert.Equal(RecordBatchVectors.BaseTimestamp - 10, result.FirstBatch.MinTimestamp);
            Assert.Equal(1, result.FirstBatch.OffsetDeltaOfMaxTimestamp);

            var batches = new RecordBatchEnumerator(bytes);
            Assert.True(batches.MoveNext());
            var records = batches.Current.GetRecords(scratch);
            Assert.True(records.MoveNext());
            Assert.Equal("k1", Encoding.UTF8.GetString(records.Current.Key));
            Assert.Equal(string.Concat(Enumerable.Repeat("hello world ", 20)), Encoding.UTF8.GetString(records.Current.Value));
            var headers = new List<(string, string?)>();
            foreach (var h in records.Current.Headers)
            {
                headers.Add((Encoding.UTF8.GetString(h.Key), h.ValueIsNull ? null : Encoding.UTF8.GetString(h.Value)));
            }

            Assert.Equal([("h1", "v1"), ("h2", null)], headers);
            Assert.True(records.MoveNext());
            Assert.True(records.Current.KeyIsNull);
            Assert.Equal("second", Encoding.UTF8.GetString(records.Current.Value));
            Assert.Equal(RecordBatchVectors.BaseTimestamp + 5, records.Current.Timestamp);
            Assert.True(records.MoveNext());
            Assert.False(records.Current.KeyIsNull);
            Assert.True(records.Current.Key.IsEmpty);
            Assert.True(records.Current.ValueIsNull);
            Assert.Equal(2, records.Current.Offset);
            Assert.False(records.MoveNext());
            Assert.False(batches.MoveNext());
        }
    }

    [Fact]
    public void EverySingleBitFlipUnderTheCrcIsDetected()
    {
        var bytes = (byte[])RecordBatchVectors.HandDerived.Clone();
        for (var i = RecordBatchHeader.CrcOffset; i < bytes.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                bytes[i] ^= (byte)(1 << bit);
                Assert.False(RecordBatchHeader.CrcMatches(bytes), $"flip of bit {bit} in byte {i} went unnoticed");
                Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(bytes, 1 << 20).ErrorCode);
                bytes[i] ^= (byte)(1 << bit);
            }
        }

        Assert.True(RecordBatchValidator.Validate(bytes, 1 << 20).IsValid);
    }

    [Fact]
    public void BaseOffsetAndLeaderEpochRewritesKeepTheCrc()
    {
        var bytes = (byte[])RecordBatchVectors.HandDerived.Clone();
        RecordBatchHeader.WriteBaseOffset(bytes, 1234567);
        RecordBatchHeader.WritePartitionLeaderEpoch(bytes, 9);
        Assert.True(RecordBatchHeader.CrcMatches(bytes));
        var records = new RecordBatch(bytes).GetRecords();
        Assert.True(records.MoveNext());
        Assert.Equal(1234567, records.Current.Offset);
    }

    [Fact]
    public void LogAppendTimeGivesEveryRecordTheBatchTime()
    {
        var bytes = (byte[])RecordBatchVectors.HandDerived.Clone();
        RecordBatchHeader.SetLogAppendTime(bytes, 42);
        Assert.True(RecordBatchValidator.Validate(bytes, 1 << 20).IsValid);
        var records = new RecordBatch(bytes).GetRecords();
        var count = 0;
        foreach (var record in records)
        {
            Assert.Equal(42, record.Timestamp);
            count++;
        }

        Assert.Equal(2, count);
    }

    [Fact]
    public void BatchEnumeratorStopsQuietlyAtAPartialTail()
    {
        var two = RecordBatchVectors.HandDerived.Concat(RecordBatchVectors.KafkaPython[0]).ToArray();
        for (var cut = 0; cut <= two.Length; cut++)
        {
            var batches = new RecordBatchEnumerator(two.AsSpan(0, cut));
            var seen = 0;
            while (batches.TryMoveNext(out var error))
            {
                Assert.Null(error);
                seen++;
            }

            var expected = cut == two.Length ? 2 : cut >= RecordBatchVectors.HandDerived.Length ? 1 : 0;
            Assert.Equal(expected, seen);
            Assert.Equal(cut - batches.Position, batches.RemainingBytes);
        }
    }

    [Fact]
    public void HugeOrTinyBatchLengthsAreHandled()
    {
        var bytes = (byte[])RecordBatchVectors.HandDerived.Clone();
        foreach (var length in new[] { int.MaxValue, int.MaxValue - 11, int.MinValue, -1, 0, 48 })
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(RecordBatchHeader.BatchLengthOffset), length);
            var batches = new RecordBatchEnumerator(bytes);
            var moved = batches.TryMoveNext(out var error);
            Assert.False(moved);
            Assert.Equal(length < 49, error is not null);
            Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(bytes, int.MaxValue).ErrorCode);
        }
    }

    [Fact]
    public void IteratorReportsMissingAndExtraRecords()
    {
        var section = RecordBatchVectors.HandDerived.AsSpan(RecordBatchHeader.Size);
        var tooMany = new RecordIterator(section, 3);
        Assert.True(tooMany.TryMoveNext(out _));
        Assert.True(tooMany.TryMoveNext(out _));
        Assert.False(tooMany.TryMoveNext(out var error));
        Assert.Contains("declares 3 records but holds 2", error, StringComparison.Ordinal);

        var thrown = Assert.Throws<InvalidDataException>(() =>
        {
            var tooFew = new RecordIterator(RecordBatchVectors.HandDerived.AsSpan(RecordBatchHeader.Size), 1);
            Assert.True(tooFew.MoveNext());
            tooFew.MoveNext();
        });
        Assert.Contains("follow the last of 1 records", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompressedBatchNeedsAScratchBuffer()
    {
        var batch = RecordBatchVectors.KafkaPython[1];
        Assert.Throws<InvalidOperationException>(() => new RecordBatch(batch).GetRecords());
    }
}
