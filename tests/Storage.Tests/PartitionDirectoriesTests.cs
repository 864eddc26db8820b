namespace KafkaOperator.Storage.Tests;

public sealed class PartitionDirectoriesTests
{
    [Theory]
    [InlineData("orders-0", "orders", 0)]
    [InlineData("my-topic.v2-17", "my-topic.v2", 17)]
    [InlineData("broker-1", "broker", 1)] // a legal partition name: only the content tells a log dir apart
    public void Parses_topic_partition(string name, string topic, int partition)
    {
        Assert.True(PartitionDirectories.TryParse(name, out var t, out var p));
        Assert.Equal((topic, partition), (t, p));
    }

    [Theory]
    [InlineData("broker")]
    [InlineData("-1")]
    [InlineData("t-01")] // would not round-trip: the broker would open t-1 instead
    [InlineData("t-+1")]
    [InlineData("t- 1")]
    [InlineData("t-99999999999")]
    [InlineData("bad topic-0")]
    [InlineData("..-0")]
    [InlineData("t-0.0123456789abcdef0123456789abcdef-delete")]
    public void Refuses_anything_else(string name) => Assert.False(PartitionDirectories.TryParse(name, out _, out _));

    [Theory]
    [InlineData("t-0.0123456789abcdef0123456789abcdef-delete", true)]
    [InlineData("my-delete", false)]
    [InlineData("t-0-delete", false)]
    [InlineData("t-0.xyz-delete", false)]
    [InlineData("bad topic-0.0123456789abcdef0123456789abcdef-delete", false)]
    public void Marked_for_deletion_only_with_Kafkas_full_name(string name, bool marked) =>
        Assert.Equal(marked, PartitionDirectories.IsMarkedForDeletion(name));

    [Fact]
    public void A_log_dir_is_not_a_partition_but_a_damaged_partition_is()
    {
        using var dir = new TempDir();
        var withMeta = Directory.CreateDirectory(Path.Combine(dir.Path, "a-0")).FullName;
        File.WriteAllText(Path.Combine(withMeta, "meta.properties"), "node.id=1\n");
        var withLock = Directory.CreateDirectory(Path.Combine(dir.Path, "b-0")).FullName;
        File.WriteAllText(Path.Combine(withLock, ".lock"), "");
        var withPartitions = Directory.CreateDirectory(Path.Combine(dir.Path, "c-0", "orders-0")).Parent!.FullName;
        var damaged = Directory.CreateDirectory(Path.Combine(dir.Path, "d-0", "00000000000000000000.log")).Parent!.FullName;

        Assert.Contains("meta.properties", PartitionDirectories.NotAPartition(withMeta), StringComparison.Ordinal);
        Assert.Contains(".lock", PartitionDirectories.NotAPartition(withLock), StringComparison.Ordinal);
        Assert.Contains("orders-0", PartitionDirectories.NotAPartition(withPartitions), StringComparison.Ordinal);
        Assert.Null(PartitionDirectories.NotAPartition(damaged));
    }
}
