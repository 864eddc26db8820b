using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>kcat 1.7.1 (librdkafka 2.0.2) driven from tests/clients/python/kcat_roundtrip.py.</summary>
[Collection(RealClientsCollection.Name)]
public sealed class KcatTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    private const int Records = 100_000;
    private const int ExplicitPartitionRecords = 1_000; // the script's second, headers-carrying run to partition 3

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Produces_and_consumes_every_record_with_codec(string codec)
    {
        RepoPaths.RequireTool("kcat", "kafkacat");
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, RepoPaths.RequirePython(),
            Path.Combine(RepoPaths.PythonDir, "kcat_roundtrip.py"), fixture.Broker.BootstrapServers, codec,
            Records.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, Records + ExplicitPartitionRecords);
        StoredBatches.AssertCodec(fixture.Broker, run.GetProperty("topic").GetString()!, codec);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(6, summary.GetProperty("partitions").GetInt32());
        Assert.Equal(6, run.GetProperty("query").EnumerateObject().Count());
        Assert.Equal(1, summary.GetProperty("brokers").GetArrayLength());
    }

    [Fact]
    public async Task Consumes_LogAppendTime_topic_with_logappend_timestamps()
    {
        RepoPaths.RequireTool("kcat", "kafkacat");
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, RepoPaths.RequirePython(),
            Path.Combine(RepoPaths.PythonDir, "kcat_roundtrip.py"), fixture.Broker.BootstrapServers, "lat",
            Records.ToString(System.Globalization.CultureInfo.InvariantCulture));
        RoundTrip.SingleResult(summary, Records);
    }
}
