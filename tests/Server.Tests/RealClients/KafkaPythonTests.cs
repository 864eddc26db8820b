using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// kafka-python 2.0.2 (Debian python3-kafka; snappy, lz4 and zstd through python3-snappy, python3-lz4 and
/// python3-zstandard). kafka-python encodes records in pure python (about 15 s per 100k), so uncompressed and gzip
/// use the full 100k records and snappy, lz4, zstd and LogAppendTime 10k, to keep the suite to a few minutes.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class KafkaPythonTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("none", 100_000)]
    [InlineData("gzip", 100_000)]
    [InlineData("snappy", 10_000)]
    [InlineData("lz4", 10_000)]
    [InlineData("zstd", 10_000)]
    [InlineData("lat", 10_000)]
    public async Task Produces_and_consumes_every_record(string codec, int records)
    {
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, RepoPaths.RequirePython(),
            Path.Combine(RepoPaths.PythonDir, "kafka_python_roundtrip.py"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("create_errors").GetArrayLength());
        Assert.True(summary.GetProperty("topic_listed").GetBoolean());
    }
}
