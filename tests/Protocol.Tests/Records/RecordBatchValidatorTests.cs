using System.Buffers.Binary;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Records;

public class RecordBatchValidatorTests
{
    private const int Max = 1 << 20;

    [Fact]
    public void ReportsWhatTheBrokerNeedsPerBatch()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Lz4) { ProducerId = 77, ProducerEpoch = 3, BaseSequence = 10, IsTransactional = true };
        builder.Add(1000, "a"u8.ToArray(), "1"u8.ToArray());
        builder.Add(900, null, "2"u8.ToArray());
        builder.Add(1500, null, "3"u8.ToArray());
        var first = builder.ToArray();
        builder.Clear();
        builder.CompressionType = CompressionType.None;
        builder.BaseSequence = 13;
        builder.Add(2000, null, "4"u8.ToArray());
        var field = first.Concat(builder.ToArray()).ToArray();

        var infos = new List<RecordBatchInfo>();
        var result = RecordBatchValidator.Validate(field, Max, infos);
        Assert.True(result.IsValid, result.ErrorMessage);
        Assert.Equal(-1, result.FailedBatchIndex);
        Assert.Equal(2, result.BatchCount);
        Assert.Equal(4, result.RecordCount);
        Assert.Equal(infos[0], result.FirstBatch);
        Assert.Equal(0, infos[0].Position);
        Assert.Equal(first.Length, infos[0].SizeInBytes);
        Assert.Equal(first.Length, infos[1].Position);
        Assert.Equal(3, infos[0].RecordCount);
        Assert.Equal(2, infos[0].LastOffsetDelta);
        Assert.Equal(CompressionType.Lz4, infos[0].Compression);
        Assert.True(infos[0].IsTransactional);
        Assert.Equal(77, infos[0].ProducerId);
        Assert.Equal(3, infos[0].ProducerEpoch);
        Assert.Equal(10, infos[0].BaseSequence);
        Assert.Equal(900, infos[0].MinTimestamp);
        Assert.Equal(1500, infos[0].MaxTimestamp);
        Assert.Equal(2, infos[0].OffsetDeltaOfMaxTimestamp);
        Assert.Equal(1000, infos[0].BaseTimestamp);
        Assert.Equal(13, infos[1].BaseSequence);
        Assert.Equal(2000, infos[1].MaxTimestamp);
    }

    [Fact]
    public void RejectsEveryTruncation()
    {
        var batch = Build(CompressionType.None);
        for (var cut = 1; cut < batch.Length; cut++)
        {
            var result = RecordBatchValidator.Validate(batch.AsSpan(0, cut), Max);
            Assert.Equal(ErrorCode.CorruptMessage, result.ErrorCode);
            Assert.False(string.IsNullOrEmpty(result.ErrorMessage));
        }

        // A whole batch followed by part of another.
        var two = batch.Concat(batch).ToArray();
        for (var cut = batch.Length + 1; cut < two.Length; cut++)
        {
            var result = RecordBatchValidator.Validate(two.AsSpan(0, cut), Max);
            Assert.Equal(ErrorCode.CorruptMessage, result.ErrorCode);
            Assert.Equal(1, result.FailedBatchIndex);
        }
    }

    [Fact]
    public void RejectsACorruptedCrc()
    {
        var batch = Build(CompressionType.Gzip);
        batch[RecordBatchHeader.CrcOffset + 2] ^= 0x40;
        var result = RecordBatchValidator.Validate(batch, Max);
        Assert.Equal(ErrorCode.CorruptMessage, result.ErrorCode);
        Assert.Contains("CRC", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, ErrorCode.UnsupportedForMessageFormat)]
    [InlineData(1, ErrorCode.UnsupportedForMessageFormat)]
    [InlineData(3, ErrorCode.CorruptMessage)]
    [InlineData(0xFF, ErrorCode.CorruptMessage)]
    public void RejectsOtherMagics(byte magic, ErrorCode expected)
    {
        var batch = Build(CompressionType.None);
        batch[RecordBatchHeader.MagicOffset] = magic;
        Assert.Equal(expected, RecordBatchValidator.Validate(batch, Max).ErrorCode);
    }

    [Fact]
    public void RejectsBatchesOverTheMaximumSize()
    {
        var batch = Build(CompressionType.None);
        Assert.True(RecordBatchValidator.Validate(batch, batch.Length).IsValid);
        var result = RecordBatchValidator.Validate(batch, batch.Length - 1);
        Assert.Equal(ErrorCode.MessageTooLarge, result.ErrorCode);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Zstd)]
    public void RejectsCountsThatDisagreeWithTheRecords(CompressionType codec)
    {
        // Header says 4 records (lastOffsetDelta 3), the section holds 3.
        var batch = Build(codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 4);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 3);
        RecordBatchHeader.WriteCrc(batch);
        var result = RecordBatchValidator.Validate(batch, Max);
        Assert.Equal(ErrorCode.InvalidRecord, result.ErrorCode);
        Assert.Contains("declares 4 records but holds 3", result.ErrorMessage, StringComparison.Ordinal);

        // Header says 2, the section holds 3.
        batch = Build(codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 2);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 1);
        RecordBatchHeader.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(batch, Max).ErrorCode);

        // lastOffsetDelta disagrees with the count.
        batch = Build(codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 5);
        RecordBatchHeader.WriteCrc(batch);
        Assert.Contains("lastOffsetDelta", RecordBatchValidator.Validate(batch, Max).ErrorMessage, StringComparison.Ordinal);

        // A zero count.
        batch = Build(codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 0);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), -1);
        RecordBatchHeader.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(batch, Max).ErrorCode);
    }

    [Fact]
    public void RejectsOffsetDeltasThatAreNotTheRecordIndex()
    {
        var batch = (byte[])RecordBatchVectors.HandDerived.Clone();
        batch[^4] = 0x04; // second record's offsetDelta 1 -> 2
        RecordBatchHeader.WriteCrc(batch);
        var result = RecordBatchValidator.Validate(batch, Max);
        Assert.Equal(ErrorCode.InvalidRecord, result.ErrorCode);
        Assert.Contains("offsetDelta 2", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsControlBatchesFromClientsAndBadProducerFields()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 5, ProducerEpoch = 0, BaseSequence = 0 };
        builder.AddEndTransactionMarker(10, commit: true, coordinatorEpoch: 2);
        var marker = builder.ToArray();
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(marker, Max).ErrorCode);
        Assert.True(RecordBatchValidator.Validate(marker, Max, options: new RecordValidationOptions { AllowControlBatches = true }).IsValid);

        using var noSequence = new RecordBatchBuilder { ProducerId = 5 };
        noSequence.Add(1, null, [1]);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(noSequence.ToArray(), Max).ErrorCode);

        using var transactionalWithoutProducer = new RecordBatchBuilder { IsTransactional = true };
        transactionalWithoutProducer.Add(1, null, [1]);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(transactionalWithoutProducer.ToArray(), Max).ErrorCode);
    }

    [Fact]
    public void RejectsUnknownCodecsAndDecompressionBombs()
    {
        var batch = Build(CompressionType.None);
        batch[RecordBatchHeader.AttributesOffset + 1] = 6;
        RecordBatchHeader.WriteCrc(batch);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, RecordBatchValidator.Validate(batch, Max).ErrorCode);

        using var builder = new RecordBatchBuilder(CompressionType.Zstd);
        builder.Add(1, null, new byte[2_000_000]);
        var bomb = builder.ToArray();
        Assert.True(bomb.Length < 1000);
        var options = new RecordValidationOptions { MaxUncompressedBytes = 1_000_000 };
        Assert.Equal(ErrorCode.MessageTooLarge, RecordBatchValidator.Validate(bomb, Max, options: options).ErrorCode);
        Assert.True(RecordBatchValidator.Validate(bomb, Max).IsValid);

        var garbage = Build(CompressionType.Snappy);
        garbage[^3] ^= 0xFF;
        RecordBatchHeader.WriteCrc(garbage);
        Assert.NotEqual(ErrorCode.None, RecordBatchValidator.Validate(garbage, Max).ErrorCode);
    }

    [Fact]
    public void SingleBatchRuleIsOptional()
    {
        var batch = Build(CompressionType.None);
        var two = batch.Concat(batch).ToArray();
        var single = new RecordValidationOptions { RequireSingleBatch = true };
        Assert.True(RecordBatchValidator.Validate(two, Max).IsValid);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(two, Max, options: single).ErrorCode);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate([], Max, options: single).ErrorCode);
        Assert.True(RecordBatchValidator.Validate(batch, Max, options: single).IsValid);
        Assert.Equal(0, RecordBatchValidator.Validate([], Max).BatchCount);
    }

    [Fact]
    public void RandomMutationsOnlyEverYieldErrorCodes()
    {
        var random = new Random(11);
        var samples = new List<byte[]> { RecordBatchVectors.HandDerived };
        samples.AddRange(RecordBatchVectors.KafkaPython);
        foreach (var codec in Enum.GetValues<CompressionType>())
        {
            samples.Add(Build(codec));
        }

        using var scratch = new PooledBufferWriter();
        foreach (var sample in samples)
        {
            for (var i = 0; i < 400; i++)
            {
                var mutated = (byte[])sample.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                // Half the time fix the CRC up, so the mutation reaches the record parser and the codecs.
                if (i % 2 == 0 && mutated.Length >= RecordBatchHeader.Size)
                {
                    RecordBatchHeader.WriteCrc(mutated);
                }

                var length = random.Next(3) == 0 ? random.Next(mutated.Length + 1) : mutated.Length;
                var result = RecordBatchValidator.Validate(mutated.AsSpan(0, length), Max, null, null, scratch);
                Assert.Equal(result.ErrorCode == ErrorCode.None, result.ErrorMessage is null);
                if (result.IsValid)
                {
                    Assert.True(length == 0 || result.RecordCount > 0);
                }

                // Readers on the same bytes stop with an error message, not an exception.
                var batches = new RecordBatchEnumerator(mutated.AsSpan(0, length));
                while (batches.TryMoveNext(out _))
                {
                    if (batches.Current.Header.Compression != CompressionType.None)
                    {
                        continue;
                    }

                    var records = new RecordIterator(batches.Current.RecordsSection, batches.Current.Header.RecordCount);
                    while (records.TryMoveNext(out _))
                    {
                        foreach (var header in records.Current.Headers)
                        {
                            Assert.True(header.Key.Length >= 0);
                        }
                    }
                }
            }
        }
    }

    private static byte[] Build(CompressionType codec)
    {
        using var builder = new RecordBatchBuilder(codec);
        builder.Add(100, "key-0"u8.ToArray(), "value-0 value-0 value-0"u8.ToArray(), [new RecordHeaderEntry("trace", [1, 2, 3])]);
        builder.Add(101, null, "value-1 value-1 value-1"u8.ToArray());
        builder.Add(99, "key-2"u8.ToArray(), null, [new RecordHeaderEntry("a", null), new RecordHeaderEntry("b", [])]);
        return builder.ToArray();
    }
}
