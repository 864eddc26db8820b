using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// kafkajs 2.2.4: admin, metadata, produce (uncompressed and gzip, the only codec kafkajs ships) and a kafkajs
/// consumer group (fresh groupId, fromBeginning) that reads every record back.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class KafkaJsTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("none", 100_000)]
    [InlineData("gzip", 100_000)]
    [InlineData("lat", 100_000)]
    public async Task Produces_records_that_read_back_exactly(string codec, int records)
    {
        var node = RepoPaths.RequireTool("node");
        RepoPaths.RequireNodeModule("kafkajs");
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, node,
            Path.Combine(RepoPaths.NodeDir, "kafkajs_roundtrip.js"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(6, summary.GetProperty("partitions").GetInt32());
        Assert.True(summary.GetProperty("created").GetBoolean());
        Assert.True(summary.GetProperty("topic_listed").GetBoolean());
    }
}
