using System.Buffers.Binary;
using System.Text;
using KafkaOperator.Admin.Groups;

namespace KafkaOperator.Admin.Tests.Unit;

public class ConsumerProtocolTests
{
    [Fact]
    public void DecodesAssignmentWithTopicsAndUserData()
    {
        var bytes = new Bytes().Int16(1).Int32(2)
            .String("orders").Int32(2).Int32(0).Int32(2)
            .String("payments").Int32(1).Int32(5)
            .Int32(3).Raw(1, 2, 3).ToArray();

        var assignment = ConsumerProtocol.TryDecodeAssignment(bytes);

        Assert.NotNull(assignment);
        Assert.Equal(1, assignment.Version);
        Assert.Equal(2, assignment.Topics.Count);
        Assert.Equal("orders", assignment.Topics[0].Topic);
        Assert.Equal([0, 2], assignment.Topics[0].Partitions);
        Assert.Equal([5], assignment.Topics[1].Partitions);
        Assert.Equal([1, 2, 3], assignment.UserData);
        Assert.Equal("orders:0,2;payments:5", ConsumerProtocol.Format(assignment.Topics));
    }

    [Fact]
    public void EmptyAssignmentBytesMeanNothingAssignedYet()
    {
        var assignment = ConsumerProtocol.TryDecodeAssignment([]);
        Assert.NotNull(assignment);
        Assert.Empty(assignment.Topics);
    }

    [Fact]
    public void AssignmentWithNullUserDataAndMissingTrailingBytes()
    {
        var withNull = new Bytes().Int16(0).Int32(1).String("t").Int32(1).Int32(0).Int32(-1).ToArray();
        var withoutUserData = new Bytes().Int16(0).Int32(1).String("t").Int32(1).Int32(0).ToArray();

        Assert.Null(ConsumerProtocol.TryDecodeAssignment(withNull)!.UserData);
        Assert.Equal("t:0", ConsumerProtocol.Format(ConsumerProtocol.TryDecodeAssignment(withoutUserData)!.Topics));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(14)]
    public void TruncatedAssignmentIsNullNotAnException(int length)
    {
        var bytes = new Bytes().Int16(0).Int32(1).String("orders").Int32(2).Int32(0).Int32(1).ToArray();
        Assert.Null(ConsumerProtocol.TryDecodeAssignment(bytes.AsSpan(0, length)));
    }

    [Fact]
    public void HugeArrayCountIsRejectedWithoutAllocating()
    {
        var bytes = new Bytes().Int16(0).Int32(int.MaxValue).ToArray();
        Assert.Null(ConsumerProtocol.TryDecodeAssignment(bytes));
    }

    [Fact]
    public void DecodesSubscriptionV0()
    {
        var bytes = new Bytes().Int16(0).Int32(2).String("a").String("b").Int32(-1).ToArray();

        var subscription = ConsumerProtocol.TryDecodeSubscription(bytes);

        Assert.NotNull(subscription);
        Assert.Equal(["a", "b"], subscription.Topics);
        Assert.Null(subscription.UserData);
        Assert.Empty(subscription.OwnedPartitions);
        Assert.Equal(-1, subscription.GenerationId);
    }

    [Fact]
    public void DecodesSubscriptionV3WithOwnedPartitionsGenerationAndRack()
    {
        var bytes = new Bytes().Int16(3).Int32(1).String("a").Int32(0)
            .Int32(1).String("a").Int32(2).Int32(0).Int32(1)
            .Int32(7).String("rack-1").ToArray();

        var subscription = ConsumerProtocol.TryDecodeSubscription(bytes);

        Assert.NotNull(subscription);
        Assert.Equal(3, subscription.Version);
        Assert.Equal([], subscription.UserData!);
        Assert.Equal("a:0,1", ConsumerProtocol.Format(subscription.OwnedPartitions));
        Assert.Equal(7, subscription.GenerationId);
        Assert.Equal("rack-1", subscription.RackId);
    }

    [Fact]
    public void NegativeVersionIsRejected()
    {
        Assert.Null(ConsumerProtocol.TryDecodeAssignment(new Bytes().Int16(-1).Int32(0).ToArray()));
    }

    /// <summary>A big-endian writer for consumer-protocol test vectors.</summary>
    internal sealed class Bytes
    {
        private readonly List<byte> _bytes = [];

        public Bytes Int16(short value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteInt16BigEndian(b, value);
            _bytes.AddRange(b.ToArray());
            return this;
        }

        public Bytes Int32(int value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, value);
            _bytes.AddRange(b.ToArray());
            return this;
        }

        public Bytes String(string value)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            Int16((short)utf8.Length);
            _bytes.AddRange(utf8);
            return this;
        }

        public Bytes Raw(params byte[] raw)
        {
            _bytes.AddRange(raw);
            return this;
        }

        public byte[] ToArray() => [.. _bytes];
    }
}
