using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Tests;

/// <summary>
/// A segment file that vanished while the broker was down: after a clean shutdown the partition refuses to load
/// (its records would silently disappear otherwise) and the LogManager keeps it offline while the other partitions
/// load; after a crash the orphaned index files are removed as Kafka does.
/// </summary>
public sealed class OfflineLogTests
{
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 3000, IndexIntervalBytes = 200 };

    private static LogManager Manager(string dir) => new([dir], Config, new LogManagerOptions { StartBackgroundJobs = false });

    private static void Fill(PartitionLog log)
    {
        for (var i = 0; i < 40; i++)
        {
            log.AppendAsLeader(Batches.Make(3, valueSize: 50), 0, TimestampType.CreateTime, 1);
        }

        log.HighWatermark = log.LogEndOffset;
    }

    private static string FirstSegment(string partitionDir) =>
        Directory.GetFiles(partitionDir, "*.log").Order(StringComparer.Ordinal).First();

    [Fact]
    public void Missing_segment_after_a_clean_shutdown_leaves_only_that_partition_offline()
    {
        using var dir = new TempDir();
        var manager = Manager(dir.Path);
        Fill(manager.GetOrCreateLog("t", 0));
        Fill(manager.GetOrCreateLog("t", 1));
        var broken = manager.GetLog("t", 0)!.Directory;
        manager.Dispose();
        var segment = FirstSegment(broken);
        File.Move(segment, segment + ".aside");

        var reopened = Manager(dir.Path);
        try
        {
            Assert.Null(reopened.GetLog("t", 0));
            Assert.Equal(120, reopened.GetLog("t", 1)!.LogEndOffset);
            var offline = Assert.Single(reopened.OfflineLogs);
            Assert.Equal(("t", 0), offline.Key);
            Assert.Equal(broken, offline.Value.Directory);
            Assert.Contains("00000000000000000000.log is missing after a clean shutdown", offline.Value.Reason, StringComparison.Ordinal);
            var ex = Assert.Throws<KafkaStorageException>(() => reopened.GetOrCreateLog("t", 0));
            Assert.Contains("t-0 is offline", ex.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.ChangeExtension(segment, ".index")), "nothing of the offline partition is removed");
        }
        finally
        {
            reopened.Dispose();
        }

        File.Move(segment + ".aside", segment);
        using var restored = Manager(dir.Path);
        Assert.Empty(restored.OfflineLogs);
        Assert.Equal(120, restored.GetLog("t", 0)!.LogEndOffset);
        Assert.Equal(0, restored.GetLog("t", 0)!.LogStartOffset);
    }

    [Fact]
    public void After_a_crash_orphaned_index_files_are_removed_as_Kafka_does()
    {
        using var dir = new TempDir();
        var log = PartitionLog.Open(dir.Path, "t", 0, Config);
        Fill(log);
        var partitionDir = log.Directory;
        log.Dispose();
        var segment = FirstSegment(partitionDir);
        File.Delete(segment);

        using var reopened = PartitionLog.Open(dir.Path, "t", 0, Config, hadCleanShutdown: false);
        Assert.False(File.Exists(Path.ChangeExtension(segment, ".index")));
        Assert.True(reopened.LogStartOffset > 0);
        Assert.Equal(120, reopened.LogEndOffset);
    }

    [Fact]
    public void Offline_partition_of_a_deleted_topic_is_forgotten()
    {
        using var dir = new TempDir();
        var manager = Manager(dir.Path);
        Fill(manager.GetOrCreateLog("gone", 0));
        var broken = manager.GetLog("gone", 0)!.Directory;
        manager.Dispose();
        File.Delete(FirstSegment(broken));

        using var reopened = Manager(dir.Path);
        Assert.True(reopened.IsOffline("gone", 0));
        Assert.Equal(0, reopened.DeleteTopic("gone"));
        Assert.False(reopened.IsOffline("gone", 0));
        Assert.False(Directory.Exists(broken));
        Assert.Equal(0, reopened.GetOrCreateLog("gone", 0).LogEndOffset);
    }
}
