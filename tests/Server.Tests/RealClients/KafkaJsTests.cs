using System.Globalization;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// kafkajs 2.2.4 end to end: admin, metadata, produce (uncompressed, gzip, and Snappy, LZ4 and ZSTD through the
/// pure-JS codec plugins of tests/clients/node/codecs.js) and a kafkajs consumer group that reads every record back.
/// The class runs longer than the broker's first retention check (30 s after start), which once deleted kafkajs's
/// records mid-run (see the script's header).
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class KafkaJsTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Theory]
    [InlineData("none", 100_000)]
    [InlineData("gzip", 100_000)]
    [InlineData("snappy", 100_000)]
    [InlineData("lz4", 100_000)]
    [InlineData("zstd", 100_000)]
    [InlineData("lat", 100_000)]
    public async Task Produces_records_that_read_back_exactly(string codec, int records)
    {
        var node = RepoPaths.RequireTool("node");
        RepoPaths.RequireNodeModule("kafkajs");
        RequireCodecPlugin(codec);
        var summary = await RoundTrip.RunAsync(fixture.Broker, output, node,
            Path.Combine(RepoPaths.NodeDir, "kafkajs_roundtrip.js"), fixture.Broker.BootstrapServers, codec,
            records.ToString(CultureInfo.InvariantCulture));

        var run = RoundTrip.SingleResult(summary, records);
        StoredBatches.AssertCodec(fixture.Broker, run.GetProperty("topic").GetString()!, codec);
        Assert.Equal(6, run.GetProperty("partitions_used").GetArrayLength());
        Assert.Equal(6, summary.GetProperty("partitions").GetInt32());
        Assert.True(summary.GetProperty("created").GetBoolean());
        Assert.True(summary.GetProperty("topic_listed").GetBoolean());
        Assert.Equal(codec == "lat" ? "none" : codec, run.GetProperty("codec").GetString());
        Assert.StartsWith("kafkajs consumer group", run.GetProperty("consumed_with").GetString(), StringComparison.Ordinal);
    }

    private static void RequireCodecPlugin(string codec)
    {
        switch (codec)
        {
            case "snappy":
                RepoPaths.RequireNodeModule("kafkajs-snappy");
                break;
            case "lz4":
                RepoPaths.RequireNodeModule("lz4js");
                break;
            case "zstd":
                RepoPaths.RequireNodeModule("zstd-codec");
                break;
        }
    }
}
