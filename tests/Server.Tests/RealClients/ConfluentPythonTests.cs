using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// confluent-kafka-python (Debian python3-confluent-kafka, librdkafka 2.0.2): idempotent producer, assign-only
/// consumer. 100k records per codec (the C client makes that a few seconds each).
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class ConfluentPythonTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
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
            Path.Combine(RepoPaths.PythonDir, "confluent_roundtrip.py"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        StoredBatches.AssertCodec(fixture.Broker, run.GetProperty("topic").GetString()!, codec);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("create_errors").GetArrayLength());
        Assert.Equal(6, summary.GetProperty("partitions").GetInt32());
    }
}
