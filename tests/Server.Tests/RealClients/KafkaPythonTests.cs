using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// kafka-python 2.0.2 (Debian python3-kafka; snappy, lz4 and zstd through python3-snappy, python3-lz4 and
/// python3-zstandard). Every codec and the LogAppendTime topic use the full 100k records (about 31 s for the six
/// runs here, kafka-python encodes records in pure python).
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class KafkaPythonTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("none", 100_000)]
    [InlineData("gzip", 100_000)]
    [InlineData("snappy", 100_000)]
    [InlineData("lz4", 100_000)]
    [InlineData("zstd", 100_000)]
    [InlineData("lat", 100_000)]
    public async Task Produces_and_consumes_every_record(string codec, int records)
    {
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, RepoPaths.RequirePython(),
            Path.Combine(RepoPaths.PythonDir, "kafka_python_roundtrip.py"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        StoredBatches.AssertCodec(fixture.Broker, run.GetProperty("topic").GetString()!, codec);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("create_errors").GetArrayLength());
        Assert.True(summary.GetProperty("topic_listed").GetBoolean());
    }
}
