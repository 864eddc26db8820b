using KafkaOperator.Client.Admin;
using KafkaOperator.Protocol;
using KafkaOperator.Quorum.Log;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KafkaOperator.Server.Tests.Cluster;

/// <summary>
/// Metadata snapshots on real processes (KIP-630), with thresholds small enough that a few topics write several:
/// a broker restarted after its metadata log was truncated below its snapshot starts from that snapshot, and
/// since the others truncated their logs past its end meanwhile, it then fetches the leader's snapshot.
/// </summary>
[Collection(BrokerClustersCollection.Name)]
public sealed class MetadataSnapshotClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_broker_restarts_from_its_snapshot_after_its_log_was_truncated_and_fetches_the_leaders_when_behind()
    {
        await using var cluster = await BrokerCluster.StartAsync(3, output, new Dictionary<string, string>
        {
            ["metadata.log.max.record.bytes.between.snapshots"] = "400",
            ["metadata.log.segment.bytes"] = "1000",
        });
        var behind = cluster.Brokers[2];
        var metadataDir = Path.Combine(behind.DataDir, "__cluster_metadata-0");
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
        {
            await CreateTopicsAsync(admin, "before", 30);
            await Eventually.WaitForAsync(output, Deadline, () => Task.FromResult(Directory.GetFiles(metadataDir).Select(Path.GetFileName).ToList()),
                files => files.Any(f => f!.EndsWith(SnapshotId.Suffix, StringComparison.Ordinal)) && !files.Contains(FileRaftLog.FileName),
                "broker 2 wrote snapshots and deleted its first metadata segment");
        }

        Assert.Equal(0, await behind.StopAsync());
        long end;
        using (var log = FileRaftLog.Open(metadataDir))
        {
            Assert.True(log.StartOffset > 0, "broker 2's metadata log starts at a snapshot");
            end = log.EndOffset;
        }

        // While it is down the others move their log starts past its end: it can only catch up from a snapshot.
        await using (var admin = await KafkaAdminClient.ConnectAsync(cluster.Brokers[0].BootstrapServers))
        {
            await CreateTopicsAsync(admin, "while-down", 30);
            await Eventually.WaitForAsync(output, Deadline, () => Task.FromResult(cluster.Brokers.Take(2).Select(b => LogStart(b.DataDir)).Min()),
                start => start > end, $"brokers 0 and 1 truncated their metadata logs past broker 2's end {end}");
        }

        await behind.RestartAsync();
        var loads = behind.Log.Split('\n').Where(l => l.Contains("metadata: loaded snapshot", StringComparison.Ordinal)).ToList();
        Assert.True(loads.Count >= 2, $"broker 2 loaded its own snapshot and then the leader's:\n{string.Join('\n', loads)}");
        await using (var admin = await KafkaAdminClient.ConnectAsync(behind.BootstrapServers))
        {
            var topics = await admin.ListTopicsAsync();
            Assert.Equal(60, topics.Count(t => t.Name.StartsWith("before-", StringComparison.Ordinal) || t.Name.StartsWith("while-down-", StringComparison.Ordinal)));
        }
        Assert.DoesNotContain("Unhandled exception", behind.Log, StringComparison.Ordinal);
    }

    private async Task CreateTopicsAsync(KafkaAdminClient admin, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var name = $"{prefix}-{i}";
            await Eventually.WaitForAsync(output, Deadline, async () => Assert.Single(await admin.CreateTopicsAsync([new NewTopic(name, 1, 1)])),
                r => r.Error?.Code is null or ErrorCode.TopicAlreadyExists, "creating " + name);
        }
    }

    private static long LogStart(string dataDir)
    {
        var path = Path.Combine(dataDir, "__cluster_metadata-0", FileRaftLog.StartFileName);
        return File.Exists(path) ? long.Parse(File.ReadAllText(path).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
