using System.Buffers.Binary;
using System.IO.Hashing;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Quorum.Snapshots;

/// <summary>
/// Snapshots as files in the metadata log dir, named as Kafka names them (<see cref="SnapshotId.FileName"/>). A file
/// is [magic int32][version int16][crc32c uint32][payload length int64][payload], big-endian, the CRC-32C over the
/// payload. Written as <c>.checkpoint.part</c>, fsynced, renamed and the directory fsynced, so a crash leaves either
/// no snapshot or a whole one; partial files left by a crash are removed when the store opens. A file that fails
/// its checksum is refused with a message naming it and renamed <c>.checkpoint.corrupt</c>.
/// Exception policy: I/O errors propagate (<see cref="IOException"/>); corruption is <see cref="InvalidDataException"/>.
/// </summary>
public sealed class FileSnapshotStore : ISnapshotStore
{
    private const int Magic = 0x4B534E50; // "KSNP"
    private const short Version = 1;
    private const int HeaderSize = 4 + 2 + 4 + 8;

    private readonly Lock _lock = new();
    private readonly SortedSet<SnapshotId> _ids = [];
    private readonly string _dir;

    private FileSnapshotStore(string dir) => _dir = dir;

    /// <summary>Opens the snapshots in <paramref name="dir"/> (headers only; payloads are checked when read), removing partial ones.</summary>
    public static FileSnapshotStore Open(string dir)
    {
        Directory.CreateDirectory(dir);
        var store = new FileSnapshotStore(dir);
        foreach (var path in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(SnapshotId.PartialSuffix, StringComparison.Ordinal) || name.EndsWith(SnapshotId.DeletedSuffix, StringComparison.Ordinal))
                File.Delete(path);
            else if (SnapshotId.Parse(name) is { } id)
                store._ids.Add(id);
        }
        return store;
    }

    public string PathOf(SnapshotId id) => Path.Combine(_dir, id.FileName);

    public IReadOnlyList<SnapshotId> List()
    {
        lock (_lock)
            return [.. _ids];
    }

    public byte[] Read(SnapshotId id)
    {
        var path = PathOf(id);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadInt32BigEndian(bytes) != Magic)
            throw new InvalidDataException($"metadata snapshot {path} is corrupt: not a snapshot file (bad header)");
        var version = BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(4));
        if (version != Version)
            throw new InvalidDataException($"metadata snapshot {path} has version {version}, which this broker cannot read");
        var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(6));
        var length = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(10));
        if (length != bytes.Length - HeaderSize)
            throw new InvalidDataException($"metadata snapshot {path} is corrupt: {bytes.Length - HeaderSize} payload bytes, the header says {length}");
        var payload = bytes.AsSpan(HeaderSize);
        var actual = Crc32C(payload);
        if (actual != crc)
            throw new InvalidDataException($"metadata snapshot {path} is corrupt: checksum {actual:x8}, the header says {crc:x8}");
        return payload.ToArray();
    }

    public void Write(SnapshotId id, ReadOnlySpan<byte> data)
    {
        var path = PathOf(id);
        var part = path + ".part";
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteInt32BigEndian(header, Magic);
        BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(6), Crc32C(data));
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(10), data.Length);
        using (var handle = File.OpenHandle(part, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, header, 0);
            RandomAccess.Write(handle, data, HeaderSize);
            DurableFile.Fdatasync(handle);
        }
        File.Move(part, path, overwrite: true);
        DurableFile.FsyncDirectory(_dir);
        lock (_lock)
            _ids.Add(id);
    }

    public void Delete(SnapshotId id)
    {
        lock (_lock)
            _ids.Remove(id);
        // Renamed first, as Kafka does, so a reader that opened it finishes and no crash leaves a half-deleted name.
        var path = PathOf(id);
        var deleted = Path.Combine(_dir, id.FileName[..^SnapshotId.Suffix.Length] + SnapshotId.DeletedSuffix);
        if (File.Exists(path))
            File.Move(path, deleted, overwrite: true);
        File.Delete(deleted);
    }

    public void Quarantine(SnapshotId id)
    {
        lock (_lock)
            _ids.Remove(id);
        var path = PathOf(id);
        if (File.Exists(path))
            File.Move(path, Path.Combine(_dir, id.FileName[..^SnapshotId.Suffix.Length] + SnapshotId.CorruptSuffix), overwrite: true);
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt32();
    }
}
