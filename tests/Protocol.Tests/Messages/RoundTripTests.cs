using System.Buffers;
using System.Reflection;
using KafkaOperator.Protocol.Codec;

namespace KafkaOperator.Protocol.Tests.Messages;

public class RoundTripTests
{
    public static TheoryData<string, short> EveryMessageAndVersion()
    {
        var data = new TheoryData<string, short>();
        foreach (var type in MessageFactory.AllMessageTypes().OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var attribute = type.GetCustomAttribute<ApiMessageAttribute>()!;
            for (var version = attribute.MinVersion; version <= attribute.MaxVersion; version++)
            {
                data.Add(type.FullName!, version);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryMessageAndVersion))]
    public void EveryVersionRoundTripsAndSizeMatchesBytesWritten(string typeName, short version)
    {
        var type = typeof(ApiKey).Assembly.GetType(typeName)!;
        for (var seed = 0; seed < 4; seed++)
        {
            var message = MessageFactory.Populate(type, version, seed);
            var output = new ArrayBufferWriter<byte>();
            var writer = new KafkaWriter(output);
            MessageCodec.Write(ref writer, message, version);

            Assert.Equal(output.WrittenCount, writer.BytesWritten);
            Assert.Equal(output.WrittenCount, MessageCodec.ComputeSize(message, version));

            var reader = new KafkaReader(output.WrittenMemory);
            var read = MessageCodec.Read(type, ref reader, version);
            Assert.True(reader.IsAtEnd, $"{reader.Remaining} bytes left unread");
            Assert.Null(MessageFactory.FindDifference(message, read));
        }
    }

    [Theory]
    [MemberData(nameof(EveryMessageAndVersion))]
    public void DefaultInstanceRoundTrips(string typeName, short version)
    {
        var type = typeof(ApiKey).Assembly.GetType(typeName)!;
        var message = Activator.CreateInstance(type)!;
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        MessageCodec.Write(ref writer, message, version);
        Assert.Equal(output.WrittenCount, MessageCodec.ComputeSize(message, version));

        var reader = new KafkaReader(output.WrittenMemory);
        Assert.Null(MessageFactory.FindDifference(message, MessageCodec.Read(type, ref reader, version)));
    }

    [Fact]
    public void EveryRequestHasAResponseWithTheSameVersionRange()
    {
        Assert.NotEmpty(ApiRegistry.All);
        foreach (var api in ApiRegistry.All)
        {
            var response = api.ResponseType.GetCustomAttribute<ApiMessageAttribute>()!;
            Assert.Equal((api.MinVersion, api.MaxVersion), (response.MinVersion, response.MaxVersion));
            Assert.Equal(api.FlexibleFrom, response.FlexibleFrom);
        }
    }
}
