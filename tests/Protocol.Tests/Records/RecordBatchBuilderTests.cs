using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Records;

public class RecordBatchBuilderTests
{
    public static TheoryData<CompressionType, TimestampType> Variants()
    {
        var data = new TheoryData<CompressionType, TimestampType>();
        foreach (var codec in Enum.GetValues<CompressionType>())
        {
            data.Add(codec, TimestampType.CreateTime);
            data.Add(codec, TimestampType.LogAppendTime);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void BuiltBatchesValidateAndIterateBackExactly(CompressionType codec, TimestampType timestampType)
    {
        var random = new Random((int)codec * 10 + (int)timestampType);
        var expected = new List<Sample>();
        for (var i = 0; i < 200; i++)
        {
            var key = random.Next(5) == 0 ? null : RandomBytes(random, random.Next(0, 40));
            var value = random.Next(7) == 0 ? null : RandomBytes(random, random.Next(0, random.Next(2) == 0 ? 50 : 5000));
            var headers = Enumerable.Range(0, random.Next(4))
                .Select(h => new RecordHeaderEntry($"h{h}-ü", random.Next(3) == 0 ? null : RandomBytes(random, random.Next(0, 20))))
                .ToList();
            expected.Add(new Sample(1_700_000_000_000 + random.Next(-100_000, 100_000), key, value, headers));
        }

        using var builder = new RecordBatchBuilder(codec)
        {
            TimestampType = timestampType,
            BaseOffset = 5000,
            PartitionLeaderEpoch = 3,
            ProducerId = 42,
            ProducerEpoch = 1,
            BaseSequence = 100,
            MaxTimestampOverride = timestampType == TimestampType.LogAppendTime ? 1_800_000_000_000 : null,
        };
        foreach (var sample in expected)
        {
            builder.Add(sample.Timestamp, sample.Key, sample.Value, sample.Headers);
        }

        var output = new ArrayBufferWriter<byte>();
        var size = builder.WriteTo(output);
        Assert.Equal(output.WrittenCount, size);
        var bytes = output.WrittenSpan.ToArray();

        var result = RecordBatchValidator.Validate(bytes, bytes.Length);
        Assert.True(result.IsValid, result.ErrorMessage);
        Assert.Equal(200, result.RecordCount);
        Assert.Equal(expected.Max(s => s.Timestamp), result.FirstBatch.MaxTimestamp);
        Assert.Equal(expected.Min(s => s.Timestamp), result.FirstBatch.MinTimestamp);

        var header = RecordBatchHeader.Read(bytes);
        Assert.Equal(5000, header.BaseOffset);
        Assert.Equal(3, header.PartitionLeaderEpoch);
        Assert.Equal(codec, header.Compression);
        Assert.Equal(timestampType, header.TimestampType);
        Assert.Equal(199, header.LastOffsetDelta);
        Assert.Equal(expected[0].Timestamp, header.BaseTimestamp);
        Assert.Equal(42, header.ProducerId);
        Assert.Equal(1, header.ProducerEpoch);
        Assert.Equal(100, header.BaseSequence);
        Assert.Equal(299, header.LastSequence);
        Assert.False(header.IsTransactional);
        Assert.False(header.IsControl);

        using var scratch = new PooledBufferWriter();
        var records = new RecordBatch(bytes).GetRecords(scratch);
        var index = 0;
        foreach (var record in records)
        {
            var sample = expected[index];
            Assert.Equal(5000 + index, record.Offset);
            Assert.Equal(index, record.OffsetDelta);
            Assert.Equal(timestampType == TimestampType.LogAppendTime ? 1_800_000_000_000 : sample.Timestamp, record.Timestamp);
            Assert.Equal(sample.Key is null, record.KeyIsNull);
            Assert.Equal(sample.Key ?? [], record.Key.ToArray());
            Assert.Equal(sample.Value is null, record.ValueIsNull);
            Assert.Equal(sample.Value ?? [], record.Value.ToArray());
            Assert.Equal(sample.Headers.Count, record.HeaderCount);
            var h = 0;
            foreach (var recordHeader in record.Headers)
            {
                Assert.Equal(sample.Headers[h].Key, Encoding.UTF8.GetString(recordHeader.Key));
                Assert.Equal(sample.Headers[h].Value is null, recordHeader.ValueIsNull);
                Assert.Equal(sample.Headers[h].Value ?? [], recordHeader.Value.ToArray());
                h++;
            }

            Assert.Equal(sample.Headers.Count, h);
            index++;
        }

        Assert.Equal(200, index);
    }

    [Fact]
    public void CompressionShrinksRepetitiveBatches()
    {
        foreach (var codec in new[] { CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            using var builder = new RecordBatchBuilder(codec);
            for (var i = 0; i < 1000; i++)
            {
                builder.Add(i, Encoding.ASCII.GetBytes($"key-{i % 10}"), Encoding.ASCII.GetBytes("the same value every time"));
            }

            var bytes = builder.ToArray();
            Assert.True(bytes.Length < builder.UncompressedSizeInBytes / 3, $"{codec}: {bytes.Length} of {builder.UncompressedSizeInBytes}");
            Assert.True(RecordBatchValidator.Validate(bytes, 1 << 20).IsValid);
        }
    }

    [Fact]
    public void ClearStartsANewBatchWithTheSameSettings()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Snappy) { ProducerId = 9, ProducerEpoch = 2, BaseSequence = 0 };
        var output = new ArrayBufferWriter<byte>();
        for (var batch = 0; batch < 3; batch++)
        {
            builder.Clear();
            builder.BaseSequence = batch * 2;
            builder.Add(10 * batch, null, [(byte)batch]);
            builder.Add((10 * batch) + 1, null, [(byte)batch]);
            builder.WriteTo(output);
        }

        var infos = new List<RecordBatchInfo>();
        Assert.True(RecordBatchValidator.Validate(output.WrittenSpan, 1 << 20, infos).IsValid);
        Assert.Equal([0, 2, 4], infos.Select(i => i.BaseSequence));
        Assert.Equal([1L, 11, 21], infos.Select(i => i.MaxTimestamp));
        Assert.All(infos, i => Assert.Equal(CompressionType.Snappy, i.Compression));
    }

    [Fact]
    public void EndTransactionMarkersHaveKafkasLayout()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 7, ProducerEpoch = 1, BaseSequence = -1 };
        builder.AddEndTransactionMarker(123, commit: false, coordinatorEpoch: 9);
        var bytes = builder.ToArray();
        var header = RecordBatchHeader.Read(bytes);
        Assert.True(header.IsControl);
        Assert.True(header.IsTransactional);
        var records = new RecordBatch(bytes).GetRecords();
        Assert.True(records.MoveNext());
        Assert.Equal([0, 0, 0, 0], records.Current.Key.ToArray()); // version 0, ABORT
        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(records.Current.Value));
        Assert.Equal(9, BinaryPrimitives.ReadInt32BigEndian(records.Current.Value[2..]));
    }

    [Fact]
    public void EmptyBuilderRefusesToWriteAndNullHeaderKeysAreRejected()
    {
        using var builder = new RecordBatchBuilder();
        Assert.Throws<InvalidOperationException>(() => builder.ToArray());
        Assert.Throws<ArgumentNullException>(() => builder.Add(1, null, null, [new RecordHeaderEntry(null!, null)]));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        if (random.Next(2) == 0)
        {
            Array.Fill(bytes, (byte)'a', 0, length / 2);
        }

        return bytes;
    }

    private sealed record Sample(long Timestamp, byte[]? Key, byte[]? Value, List<RecordHeaderEntry> Headers);
}
