using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Server.Tests.Protocol;

/// <summary>Builders for test requests and record batches.</summary>
internal static class Batches
{
    public static byte[] Build(int count, string prefix = "v", long producerId = -1, short epoch = -1, int baseSequence = -1, long? timestamp = null)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
            builder.Add(ts, Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"{prefix}{i}"));
        return builder.ToArray();
    }

    /// <summary>The batch as the broker stores it: base offset and partition leader epoch rewritten (CRC unaffected).</summary>
    public static byte[] AsStored(byte[] batch, long baseOffset, int leaderEpoch = 0)
    {
        var copy = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt64BigEndian(copy, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(RecordBatchHeader.PartitionLeaderEpochOffset), leaderEpoch);
        return copy;
    }

    public static ProduceRequest Produce(string topic, int partition, byte[] records, short acks = -1) => new()
    {
        Acks = acks,
        TimeoutMs = 5000,
        TopicData = [new() { Name = topic, PartitionData = [new() { Index = partition, Records = new MemoryRecordSet(records) }] }],
    };

    public static FetchRequest Fetch(string topic, int partition, long offset, int maxWaitMs = 0, int minBytes = 1, Guid topicId = default) => new()
    {
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = 1024 * 1024,
        SessionEpoch = -1,
        Topics = [new() { Topic = topic, TopicId = topicId, Partitions = [new() { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 1024 * 1024 }] }],
    };

    public static byte[] RecordBytes(FetchResponse response)
    {
        var set = response.Responses[0].Partitions[0].Records;
        return set is MemoryRecordSet m ? m.Bytes.ToArray() : [];
    }

    public static async Task CreateTopicAsync(RawConnection conn, string topic, int partitions = 1)
    {
        // Metadata auto-creation: the default broker allows it and creates with num.partitions.
        var response = await conn.RequestAsync<MetadataRequest, MetadataResponse>(ApiKey.Metadata, 12,
            new MetadataRequest { Topics = [new() { Name = topic }], AllowAutoTopicCreation = true });
        Assert.Equal(0, response.Topics[0].ErrorCode);
        Assert.Equal(partitions, response.Topics[0].Partitions.Count);
    }
}
