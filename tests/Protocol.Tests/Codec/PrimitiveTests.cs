using System.Buffers;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Protocol.Tests.Codec;

public class PrimitiveTests
{
    private delegate void WriteAction(ref KafkaWriter writer);

    private static byte[] Write(WriteAction action)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        action(ref writer);
        Assert.Equal(output.WrittenCount, writer.BytesWritten);
        return output.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(-64, "7F")]
    [InlineData(64, "8001")]
    [InlineData(300, "D804")]
    [InlineData(int.MaxValue, "FEFFFFFF0F")]
    [InlineData(int.MinValue, "FFFFFFFF0F")]
    public void VarIntIsZigZagLittleEndianBase128(int value, string hex)
    {
        var bytes = Write((ref KafkaWriter w) => w.WriteVarInt(value));
        Assert.Equal(Convert.FromHexString(hex), bytes);
        Assert.Equal(bytes.Length, KafkaSizes.VarInt(value));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarInt());
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData(long.MaxValue, "FEFFFFFFFFFFFFFFFF01")]
    [InlineData(long.MinValue, "FFFFFFFFFFFFFFFFFF01")]
    public void VarLongIsZigZag(long value, string hex)
    {
        var bytes = Write((ref KafkaWriter w) => w.WriteVarLong(value));
        Assert.Equal(Convert.FromHexString(hex), bytes);
        Assert.Equal(bytes.Length, KafkaSizes.VarLong(value));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarLong());
    }

    [Fact]
    public void UnsignedVarIntOf300IsAC02()
    {
        Assert.Equal(Convert.FromHexString("AC02"), Write((ref KafkaWriter w) => w.WriteUnsignedVarInt(300)));
    }

    [Theory]
    [InlineData("8080808010")]
    [InlineData("FFFFFFFFFF")]
    [InlineData("808080")]
    public void OverlongOrTruncatedVarIntThrows(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.IsType<KafkaProtocolException>(Record.Exception(() =>
        {
            var reader = new KafkaReader(bytes);
            reader.ReadUnsignedVarInt();
        }));
    }

    [Fact]
    public void FixedWidthPrimitivesAreBigEndian()
    {
        var bytes = Write((ref KafkaWriter w) =>
        {
            w.WriteInt8(-2);
            w.WriteInt16(0x0102);
            w.WriteUInt16(0xFFFE);
            w.WriteInt32(0x01020304);
            w.WriteUInt32(0xFFFFFFFE);
            w.WriteInt64(0x0102030405060708);
            w.WriteFloat64(1.0);
            w.WriteBoolean(true);
        });
        Assert.Equal(Convert.FromHexString("FE 0102 FFFE 01020304 FFFFFFFE 0102030405060708 3FF0000000000000 01".Replace(" ", "", StringComparison.Ordinal)), bytes);
        var reader = new KafkaReader(bytes);
        Assert.Equal(-2, reader.ReadInt8());
        Assert.Equal(0x0102, reader.ReadInt16());
        Assert.Equal(0xFFFE, reader.ReadUInt16());
        Assert.Equal(0x01020304, reader.ReadInt32());
        Assert.Equal(0xFFFFFFFE, reader.ReadUInt32());
        Assert.Equal(0x0102030405060708, reader.ReadInt64());
        Assert.Equal(1.0, reader.ReadFloat64());
        Assert.True(reader.ReadBoolean());
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void UuidIsMostThenLeastSignificantBitsBigEndian()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var bytes = Write((ref KafkaWriter w) => w.WriteUuid(guid));
        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"), bytes);
        var reader = new KafkaReader(bytes);
        Assert.Equal(guid, reader.ReadUuid());
    }

    [Fact]
    public void StringsAndBytesInEveryFlavour()
    {
        var bytes = Write((ref KafkaWriter w) =>
        {
            w.WriteString("hé");
            w.WriteNullableString(null);
            w.WriteCompactString("");
            w.WriteCompactNullableString(null);
            w.WriteBytes([1, 2]);
            w.WriteNullableBytes(null);
            w.WriteCompactBytes([3]);
            w.WriteCompactNullableBytes(null);
        });
        Assert.Equal(Convert.FromHexString("000368C3A9" + "FFFF" + "01" + "00" + "000000020102" + "FFFFFFFF" + "0203" + "00"), bytes);
        var reader = new KafkaReader(bytes);
        Assert.Equal("hé", reader.ReadString());
        Assert.Null(reader.ReadNullableString());
        Assert.Equal("", reader.ReadCompactString());
        Assert.Null(reader.ReadCompactNullableString());
        Assert.Equal(new byte[] { 1, 2 }, reader.ReadBytes());
        Assert.Null(reader.ReadNullableBytes());
        Assert.Equal(new byte[] { 3 }, reader.ReadCompactBytes());
        Assert.Null(reader.ReadCompactNullableBytes());
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("FFFE")]
    [InlineData("0005616263")]
    public void BadStringLengthsThrow(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.IsType<KafkaProtocolException>(Record.Exception(() =>
        {
            var reader = new KafkaReader(bytes);
            reader.ReadNullableString();
        }));
    }

    [Fact]
    public void WritingANonDefaultValueForAMissingNonIgnorableFieldThrows()
    {
        // FetchResponse.PartitionData.PreferredReadReplica exists from v11 and is not ignorable.
        var response = new FetchResponse { Responses = [new() { Topic = "t", Partitions = [new() { PreferredReadReplica = 3 }] }] };
        var output = new ArrayBufferWriter<byte>();
        var error = Record.Exception(() =>
        {
            var writer = new KafkaWriter(output);
            MessageCodec.Write(ref writer, response, 10);
        });
        Assert.IsType<KafkaProtocolException>(error);
        Assert.Contains("PreferredReadReplica", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WritingANonDefaultValueForAMissingIgnorableFieldDropsIt()
    {
        // ThrottleTimeMs exists from v1 of ApiVersionsResponse and is ignorable.
        var response = new ApiVersionsResponse { ThrottleTimeMs = 100 };
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, response, 0);
        Assert.Equal(Convert.FromHexString("000000000000"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void NullInANonNullableFieldFailsToWrite()
    {
        var request = new MetadataRequest { Topics = null };
        Assert.IsType<KafkaProtocolException>(Record.Exception(() =>
        {
            var writer = new KafkaWriter(new ArrayBufferWriter<byte>());
            MessageCodec.Write(ref writer, request, 0);
        }));
    }
}
