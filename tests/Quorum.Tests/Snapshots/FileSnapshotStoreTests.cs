using KafkaOperator.Quorum.Snapshots;

namespace KafkaOperator.Quorum.Tests.Snapshots;

public sealed class FileSnapshotStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SnapshotsAreNamedAsKafkaNamesThemAndReadBack()
    {
        Assert.Equal("00000000000000000123-0000000004.checkpoint", new SnapshotId(123, 4).FileName);
        Assert.Equal(new SnapshotId(123, 4), SnapshotId.Parse("00000000000000000123-0000000004.checkpoint"));
        Assert.Null(SnapshotId.Parse("00000000000000000123-0000000004.checkpoint.part"));
        Assert.Null(SnapshotId.Parse("00000000000000000000.log"));

        var store = FileSnapshotStore.Open(_dir);
        store.Write(new SnapshotId(10, 1), [1, 2, 3]);
        store.Write(new SnapshotId(20, 2), [4, 5]);
        File.WriteAllBytes(Path.Combine(_dir, "00000000000000000030-0000000002.checkpoint.part"), [9]);
        var reopened = FileSnapshotStore.Open(_dir);
        Assert.Equal([new SnapshotId(10, 1), new SnapshotId(20, 2)], reopened.List());
        Assert.Equal([4, 5], reopened.Read(new SnapshotId(20, 2)));
        Assert.False(File.Exists(Path.Combine(_dir, "00000000000000000030-0000000002.checkpoint.part")));
        reopened.Delete(new SnapshotId(10, 1));
        Assert.Equal([new SnapshotId(20, 2)], FileSnapshotStore.Open(_dir).List());
    }

    [Fact]
    public void ACorruptSnapshotIsRefusedWithAMessageNamingItAndSetAside()
    {
        var store = FileSnapshotStore.Open(_dir);
        var id = new SnapshotId(10, 1);
        store.Write(id, new byte[100]);
        var path = store.PathOf(id);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => store.Read(id));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
        store.Quarantine(id);
        Assert.Empty(store.List());
        Assert.True(File.Exists(path[..^".checkpoint".Length] + ".checkpoint.corrupt"));
        Assert.Empty(FileSnapshotStore.Open(_dir).List());
    }
}
