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

    [Fact]
    public async Task Keyless_messages_to_a_compacted_topic_fail_with_INVALID_RECORD()
    {
        var topic = "ck-compacted-" + Guid.NewGuid().ToString("N")[..8];
        var result = await ClientScript.RunAsync(RepoPaths.RequirePython(),
            [Path.Combine(RepoPaths.PythonDir, "compacted_keyless.py"), fixture.Broker.BootstrapServers, topic],
            TimeSpan.FromSeconds(60), output);
        var summary = result.RequireSummary();
        Assert.Equal(0, summary.GetProperty("remaining").GetInt32());
        var reports = summary.GetProperty("reports");

        // The broker refuses the whole batch, so every message of it fails; librdkafka 2.0.2 reports the error code
        // per message but not the broker's per-record messages (the raw protocol test checks those).
        foreach (var value in new[] { "v0", "v1", "v2", "v3" })
        {
            var report = reports.GetProperty(value);
            Assert.Equal(System.Text.Json.JsonValueKind.Object, report.ValueKind);
            Assert.Equal(87, report.GetProperty("code").GetInt32());
            Assert.Equal("INVALID_RECORD", report.GetProperty("name").GetString());
        }

        Assert.Empty(StoredBatches.Read(fixture.Broker, topic));
    }
}
