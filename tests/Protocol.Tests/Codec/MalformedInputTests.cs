using System.Buffers;
using System.Reflection;
using KafkaOperator.Protocol.Codec;
using KafkaOperator.Protocol.Tests.Messages;

namespace KafkaOperator.Protocol.Tests.Codec;

public class MalformedInputTests
{
    public static TheoryData<string, short> Samples()
    {
        // Lowest, first flexible and highest version of every message keeps the run short but covers both encodings.
        var data = new TheoryData<string, short>();
        foreach (var type in MessageFactory.AllMessageTypes().OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var a = type.GetCustomAttribute<ApiMessageAttribute>()!;
            foreach (var version in new[] { a.MinVersion, Math.Clamp(a.FlexibleFrom, a.MinVersion, a.MaxVersion), a.MaxVersion }.Distinct())
            {
                data.Add(type.FullName!, version);
            }
        }

        return data;
    }

    private static byte[] Encode(Type type, short version, int seed)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, MessageFactory.Populate(type, version, seed), version);
        return output.WrittenSpan.ToArray();
    }

    private static Exception? TryRead(Type type, byte[] bytes, short version)
    {
        try
        {
            var reader = new KafkaReader(bytes);
            MessageCodec.Read(type, ref reader, version);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void EveryTruncationThrowsKafkaProtocolException(string typeName, short version)
    {
        var type = typeof(ApiKey).Assembly.GetType(typeName)!;
        var bytes = Encode(type, version, seed: 1);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = TryRead(type, bytes[..length], version);
            Assert.True(error is KafkaProtocolException, $"prefix {length}/{bytes.Length}: {error?.GetType().Name ?? "no exception"}");
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void RandomMutationsThrowOnlyKafkaProtocolException(string typeName, short version)
    {
        var type = typeof(ApiKey).Assembly.GetType(typeName)!;
        var random = new Random(version * 7919 + typeName.Length);
        var original = Encode(type, version, seed: 2);
        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            var mutations = random.Next(1, 4);
            for (var i = 0; i < mutations && bytes.Length > 0; i++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var error = TryRead(type, bytes, version);
            Assert.True(error is null or KafkaProtocolException, $"round {round}: {error}");
        }
    }

    [Fact]
    public void HugeLengthsAreRejectedBeforeAllocating()
    {
        // ApiVersionsResponse v0 claiming 2^31-1 api keys in a 6-byte frame
        Assert.IsType<KafkaProtocolException>(Record.Exception(() => ReadApiVersions(Convert.FromHexString("00007FFFFFFF"), 0)));
        Assert.IsType<KafkaProtocolException>(Record.Exception(() => ReadApiVersions(Convert.FromHexString("0000FFFFFFFE"), 0)));
        Assert.IsType<KafkaProtocolException>(Record.Exception(() => ReadApiVersions(Convert.FromHexString("0000FFFFFFFF0F"), 3)));
    }

    private static KafkaOperator.Protocol.Messages.ApiVersionsResponse ReadApiVersions(byte[] bytes, short version)
    {
        var reader = new KafkaReader(bytes);
        return MessageCodec.Read<KafkaOperator.Protocol.Messages.ApiVersionsResponse>(ref reader, version);
    }

    [Fact]
    public void NonNullableNullIsRejected()
    {
        // MetadataRequest v0: topic name with length -1
        var reader = new KafkaReader(Convert.FromHexString("00000001FFFF"));
        try
        {
            MessageCodec.Read<KafkaOperator.Protocol.Messages.MetadataRequest>(ref reader, 0);
            Assert.Fail("expected an exception");
        }
        catch (KafkaProtocolException e)
        {
            Assert.Contains("null", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnsupportedVersionThrows()
    {
        var reader = new KafkaReader(Array.Empty<byte>());
        try
        {
            MessageCodec.Read<KafkaOperator.Protocol.Messages.ProduceRequest>(ref reader, 2);
            Assert.Fail("expected an exception");
        }
        catch (KafkaProtocolException e)
        {
            Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
        }
    }
}
