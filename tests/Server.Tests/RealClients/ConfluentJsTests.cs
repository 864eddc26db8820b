using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1: Metadata v12, Fetch v16, flexible versions) through
/// its node-rdkafka-style API: idempotent producer with delivery reports, assign-only KafkaConsumer.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class ConfluentJsTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
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
        var node = RepoPaths.RequireTool("node");
        RepoPaths.RequireNodeModule("@confluentinc/kafka-javascript");
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, node,
            Path.Combine(RepoPaths.NodeDir, "confluent_roundtrip.js"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        StoredBatches.AssertCodec(fixture.Broker, run.GetProperty("topic").GetString()!, codec);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(0, summary.GetProperty("create_errors").GetArrayLength());
        Assert.True(summary.GetProperty("topic_listed").GetBoolean());
    }
}
