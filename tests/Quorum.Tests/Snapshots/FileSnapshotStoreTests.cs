using System.Buffers.Binary;
using System.IO.Hashing;
using KafkaOperator.Quorum.Snapshots;
using KafkaOperator.Quorum.Voters;

namespace KafkaOperator.Quorum.Tests.Snapshots;

public sealed class FileSnapshotStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quorum-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Snapshot(SnapshotId id, byte[] state, VotersRecord? voters = null) => SnapshotRecords.Encode(id, voters, state);

    [Fact]
    public void SnapshotsAreNamedAsKafkaNamesThemAndReadBack()
    {
        Assert.Equal("00000000000000000123-0000000004.checkpoint", new SnapshotId(123, 4).FileName);
        Assert.Equal(new SnapshotId(123, 4), SnapshotId.Parse("00000000000000000123-0000000004.checkpoint"));
        Assert.Null(SnapshotId.Parse("00000000000000000123-0000000004.checkpoint.part"));
        Assert.Null(SnapshotId.Parse("00000000000000000000.log"));

        var store = FileSnapshotStore.Open(_dir);
        store.Write(new SnapshotId(10, 1), Snapshot(new SnapshotId(10, 1), [1, 2, 3]));
        store.Write(new SnapshotId(20, 2), Snapshot(new SnapshotId(20, 2), [4, 5]));
        File.WriteAllBytes(Path.Combine(_dir, "00000000000000000030-0000000002.checkpoint.part"), [9]);
        var reopened = FileSnapshotStore.Open(_dir);
        Assert.Equal([new SnapshotId(10, 1), new SnapshotId(20, 2)], reopened.List());
        // The file is the snapshot's records, nothing around them (as Kafka's .checkpoint files).
        Assert.Equal(Snapshot(new SnapshotId(20, 2), [4, 5]), File.ReadAllBytes(reopened.PathOf(new SnapshotId(20, 2))));
        Assert.Equal([4, 5], SnapshotRecords.Decode(reopened.Read(new SnapshotId(20, 2)), "x").State);
        Assert.False(File.Exists(Path.Combine(_dir, "00000000000000000030-0000000002.checkpoint.part")));
        reopened.Delete(new SnapshotId(10, 1));
        Assert.Equal([new SnapshotId(20, 2)], FileSnapshotStore.Open(_dir).List());
    }

    [Fact]
    public void ACorruptSnapshotIsRefusedWithAMessageNamingItAndSetAside()
    {
        var store = FileSnapshotStore.Open(_dir);
        var id = new SnapshotId(10, 1);
        store.Write(id, Snapshot(id, new byte[100]));
        var path = store.PathOf(id);
        var bytes = File.ReadAllBytes(path);
        bytes[^40] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => store.Read(id));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
        store.Quarantine(id);
        Assert.Empty(store.List());
        Assert.True(File.Exists(path[..^".checkpoint".Length] + ".checkpoint.corrupt"));
        Assert.Empty(FileSnapshotStore.Open(_dir).List());
    }

    [Fact]
    public void ASnapshotCutShortIsRefusedForItsMissingFooter()
    {
        var store = FileSnapshotStore.Open(_dir);
        var id = new SnapshotId(10, 1);
        var whole = Snapshot(id, new byte[200_000]);
        const int footer = 61 + 14; // a batch header and one record: 4-byte key, 3-byte value
        foreach (var cut in new[] { whole.Length - footer, whole.Length - 1, 70 })
        {
            File.WriteAllBytes(store.PathOf(id), whole[..cut]);
            var ex = Assert.Throws<InvalidDataException>(() => store.Read(id));
            Assert.Contains(store.PathOf(id), ex.Message, StringComparison.Ordinal);
            Assert.True(ex.Message.Contains("footer", StringComparison.Ordinal) || ex.Message.Contains("partial batch", StringComparison.Ordinal), ex.Message);
        }
    }

    [Fact]
    public void AnOldFormatSnapshotIsConvertedToKafkasFormatWhenTheStoreOpens()
    {
        Directory.CreateDirectory(_dir);
        var id = new SnapshotId(42, 3);
        var voters = new VotersRecord(1, [new Voter(1, Guid.Empty, "a:1"), new Voter(2, Guid.NewGuid(), "b:2")]);
        byte[] state = [.. Enumerable.Range(0, 100_000).Select(i => (byte)i)];
        File.WriteAllBytes(Path.Combine(_dir, id.FileName), OldFormat(LegacySnapshotVoters.Wrap(voters, state)));
        var plain = new SnapshotId(50, 3);
        File.WriteAllBytes(Path.Combine(_dir, plain.FileName), OldFormat([7, 7]));
        var corrupt = new SnapshotId(60, 3);
        var bad = OldFormat([1, 2, 3]);
        bad[^1] ^= 1;
        File.WriteAllBytes(Path.Combine(_dir, corrupt.FileName), bad);

        var messages = new List<string>();
        var store = FileSnapshotStore.Open(_dir, messages.Add);
        Assert.Equal(2, messages.Count);
        Assert.Equal(SnapshotRecords.Encode(id, voters, state), File.ReadAllBytes(store.PathOf(id)));
        var (readVoters, readState) = SnapshotRecords.Decode(store.Read(id), "x");
        Assert.Equal(voters.Voters, readVoters!.Voters);
        Assert.Equal(state, readState);
        var (plainVoters, plainState) = SnapshotRecords.Decode(store.Read(plain), "x");
        Assert.Null(plainVoters);
        Assert.Equal([7, 7], plainState);
        // One that fails its old checksum is left as it is and refused when read, naming the file.
        Assert.Contains(store.PathOf(corrupt), Assert.Throws<InvalidDataException>(() => store.Read(corrupt)).Message, StringComparison.Ordinal);
    }

    /// <summary>The file nodes before Kafka's format wrote: ["KSNP"][version 1][crc32c][length][payload].</summary>
    private static byte[] OldFormat(byte[] payload)
    {
        var file = new byte[18 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(file, 0x4B534E50);
        BinaryPrimitives.WriteInt16BigEndian(file.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(6), Crc32C(payload));
        BinaryPrimitives.WriteInt64BigEndian(file.AsSpan(10), payload.Length);
        payload.CopyTo(file, 18);
        return file;
    }

    private static uint Crc32C(byte[] data)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt32();
    }
}
