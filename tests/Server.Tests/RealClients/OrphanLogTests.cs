using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Controller;
using KafkaOperator.Server.Tests.Infrastructure;
using KafkaOperator.Server.Tests.Protocol;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.RealClients;

/// <summary>
/// At start-up a broker deletes the partition logs the cluster metadata does not have. It must delete nothing
/// else: not other brokers' log dirs nested in its own (the single node on ./data of a `make run` cluster under
/// ./data/broker-N once deleted them all as orphan partitions of a topic "broker"), and nothing while its metadata
/// may be incomplete.
/// </summary>
[Collection(RealClientsCollection.Name)]
public sealed class OrphanLogTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_single_node_leaves_other_brokers_log_dirs_inside_its_own_alone()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        Assert.Equal(0, await broker.StopAsync());
        for (var i = 0; i < 3; i++)
            await FillBrokerDirAsync(Path.Combine(broker.DataDir, $"broker-{i}"));
        var before = Snapshot(broker.DataDir, "broker-");

        await broker.RestartAsync();

        Assert.Equal(before, Snapshot(broker.DataDir, "broker-"));
        for (var i = 0; i < 3; i++)
            Assert.Contains($"WARN ignoring {Path.Combine(broker.DataDir, $"broker-{i}")} in a log dir: not a partition (it holds", broker.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("deleting partition", broker.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_orphan_partition_is_renamed_for_deletion_then_deleted_with_a_warning_naming_its_size()
    {
        await using var broker = await BrokerProcess.StartAsync(output);
        var batch = Batches.Build(10, "kept");
        using (var conn = RawConnection.Open(broker.Port))
        {
            await Batches.CreateTopicAsync(conn, "kept");
            Assert.Equal(0, (await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("kept", 0, (byte[])batch.Clone()))).Responses[0].PartitionResponses[0].ErrorCode);
        }
        Assert.Equal(0, await broker.StopAsync());
        // A partition of a topic deleted while this broker was down: a valid log, unknown to the metadata.
        var orphan = Path.Combine(broker.DataDir, "gone-3");
        Directory.CreateDirectory(orphan);
        foreach (var file in Directory.GetFiles(Path.Combine(broker.DataDir, "kept-0")))
            File.Copy(file, Path.Combine(orphan, Path.GetFileName(file)));
        var size = Directory.GetFiles(orphan, "*.log").Sum(f => new FileInfo(f).Length);
        Assert.True(size > 0);

        await broker.RestartAsync();

        Assert.Matches($@"WARN deleting partition gone-3 \({size} bytes, renamed gone-3\.[0-9a-f]{{32}}-delete\): not in the cluster metadata", broker.Log);
        await Eventually.WaitForAsync(output, TimeSpan.FromSeconds(10), () => Task.FromResult(Directory.GetDirectories(broker.DataDir, "gone-3*").Length),
            left => left == 0, "the renamed orphan to be deleted");
        using var again = RawConnection.Open(broker.Port);
        var fetch = await again.RequestAsync<FetchRequest, FetchResponse>(ApiKey.Fetch, 12, Batches.Fetch("kept", 0, 0));
        Assert.Equal(Batches.AsStored(batch, 0), Batches.RecordBytes(fetch));
    }

    [Fact]
    public async Task Logs_are_kept_when_the_metadata_may_be_incomplete()
    {
        var dir = TestBroker.NewDir();
        try
        {
            await using (var broker = await TestBroker.StartAsync(dir, ownsDir: false))
            {
                using var conn = broker.Connect();
                await Batches.CreateTopicAsync(conn, "survivor");
                await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce("survivor", 0, Batches.Build(3)));
            }
            // The single node's metadata log is lost (a bad restore, say): its logs are not orphans of an empty image.
            Directory.Delete(Path.Combine(dir, QuorumHost.MetadataDirName), recursive: true);
            var before = Snapshot(dir, "survivor-");

            await using (var restarted = await TestBroker.StartAsync(dir, ownsDir: false))
            {
                Assert.False(restarted.Host.Metadata.IsComplete);
                Assert.NotNull(restarted.Host.Services.Replicas.Logs.GetLog("survivor", 0));
            }
            Assert.Equal(before, Snapshot(dir, "survivor-"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // A single node's log dir with data, as a cluster member's would be (plus the quorum's directory).
    private static async Task FillBrokerDirAsync(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "__cluster_metadata-0"));
        await using var broker = await TestBroker.StartAsync(dir, ownsDir: false);
        using var conn = broker.Connect();
        foreach (var topic in new[] { "orders", "payments" })
        {
            await Batches.CreateTopicAsync(conn, topic);
            await conn.RequestAsync<ProduceRequest, ProduceResponse>(ApiKey.Produce, 9, Batches.Produce(topic, 0, Batches.Build(4)));
        }
    }

    private static string Snapshot(string dir, string prefix) => string.Join('\n', Directory
        .EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(dir, f))
        .Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
        .Select(f => $"{f} {(File.Exists(Path.Combine(dir, f)) ? new FileInfo(Path.Combine(dir, f)).Length : -1)}")
        .Order(StringComparer.Ordinal));
}
