using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Protocol.Tests.Codec;

public class AllocationTests
{
    private static byte[] ProduceFrame(int recordBytes)
    {
        var request = new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 1000,
            TopicData = [new() { Name = "topic", PartitionData = [new() { Index = 0, Records = new MemoryRecordSet(new byte[recordBytes]) }] }],
        };
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, request, 9);
        return output.WrittenSpan.ToArray();
    }

    private static long AllocatedByRead(byte[] frame)
    {
        var reader = new KafkaReader(frame);
        MessageCodec.Read<ProduceRequest>(ref reader, 9);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            reader = new KafkaReader(frame);
            MessageCodec.Read<ProduceRequest>(ref reader, 9);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
    }

    [Fact]
    public void ReadingAProduceRequestDoesNotCopyTheRecords()
    {
        var small = AllocatedByRead(ProduceFrame(16));
        var large = AllocatedByRead(ProduceFrame(1 << 20));
        // Only the message objects are allocated; a 1 MiB payload costs the same as a 16-byte one.
        Assert.Equal(small, large);
        Assert.True(small < 1024, $"{small} bytes allocated per read");
    }

    [Fact]
    public void WritingAFetchResponseDoesNotCopyTheRecords()
    {
        var response = new FetchResponse
        {
            Responses = [new() { Topic = "topic", Partitions = [new() { Records = new MemoryRecordSet(new byte[1 << 20]) }] }],
        };
        var output = new ArrayBufferWriter<byte>(2 << 20);
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, response, 11);
        output.Clear();
        var before = GC.GetAllocatedBytesForCurrentThread();
        writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, response, 11);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated per write");
    }
}
