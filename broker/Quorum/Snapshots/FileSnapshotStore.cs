using System.Buffers.Binary;
using System.IO.Hashing;
using KafkaOperator.Quorum.Voters;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Quorum.Snapshots;

/// <summary>
/// Snapshots as files in the metadata log dir, named as Kafka names them (<see cref="SnapshotId.FileName"/>), holding
/// what Kafka's <c>.checkpoint</c> files hold (<see cref="SnapshotRecords"/>: record batches, header first, footer
/// last; the batches' CRC-32C are the checksum). Written as <c>.checkpoint.part</c>, fsynced, renamed and the
/// directory fsynced, so a crash leaves either no snapshot or a whole one; partial files left by a crash are removed
/// when the store opens. A file that is not a whole snapshot (a failed checksum, no footer) is refused with a message
/// naming it and renamed <c>.checkpoint.corrupt</c>.
/// Upgrade: nodes before Kafka's format wrote [magic "KSNP" int32][version int16][crc32c][length int64][payload];
/// <see cref="Open"/> converts each such file whose checksum holds into Kafka's format in place (same name, same
/// atomic write) and leaves one that fails it to be refused when read.
/// Exception policy: I/O errors propagate (<see cref="IOException"/>); corruption is <see cref="InvalidDataException"/>.
/// </summary>
public sealed class FileSnapshotStore : ISnapshotStore
{
    private const int LegacyMagic = 0x4B534E50; // "KSNP"
    private const short LegacyVersion = 1;
    private const int LegacyHeaderSize = 4 + 2 + 4 + 8;

    private readonly Lock _lock = new();
    private readonly SortedSet<SnapshotId> _ids = [];
    private readonly string _dir;

    private FileSnapshotStore(string dir) => _dir = dir;

    /// <summary>
    /// Opens the snapshots in <paramref name="dir"/>, removing partial ones and converting the older format
    /// (<paramref name="log"/> hears of each conversion). Kafka-format files are checked when read.
    /// </summary>
    public static FileSnapshotStore Open(string dir, Action<string>? log = null)
    {
        Directory.CreateDirectory(dir);
        var store = new FileSnapshotStore(dir);
        foreach (var path in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(SnapshotId.PartialSuffix, StringComparison.Ordinal) || name.EndsWith(SnapshotId.DeletedSuffix, StringComparison.Ordinal))
            {
                File.Delete(path);
            }
            else if (SnapshotId.Parse(name) is { } id)
            {
                store._ids.Add(id);
                store.ConvertLegacy(id, log);
            }
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
        if (IsLegacy(bytes))
            throw new InvalidDataException($"metadata snapshot {path} is corrupt: an old-format snapshot that fails its checksum");
        SnapshotRecords.Decode(bytes, path);
        return bytes;
    }

    public void Write(SnapshotId id, ReadOnlySpan<byte> data)
    {
        var path = PathOf(id);
        var part = path + ".part";
        using (var handle = File.OpenHandle(part, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, data, 0);
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

    private static bool IsLegacy(ReadOnlySpan<byte> bytes) => bytes.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(bytes) == LegacyMagic;

    /// <summary>Rewrites an old-format snapshot whose checksum holds in Kafka's format; a corrupt one stays as it is (refused when read).</summary>
    private void ConvertLegacy(SnapshotId id, Action<string>? log)
    {
        var path = PathOf(id);
        using (var stream = File.OpenRead(path))
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !IsLegacy(magic))
                return;
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < LegacyHeaderSize || BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(4)) != LegacyVersion)
            return;
        var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(6));
        var length = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(10));
        var payload = bytes.AsSpan(LegacyHeaderSize);
        if (length != payload.Length || Crc32C(payload) != crc)
            return;
        VotersRecord? voters;
        byte[] state;
        try
        {
            (voters, state) = LegacySnapshotVoters.Unwrap(payload.ToArray());
        }
        catch (InvalidDataException)
        {
            return;
        }
        Write(id, SnapshotRecords.Encode(id, voters, state));
        log?.Invoke($"metadata snapshot {path} converted from the old format to Kafka's");
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt32();
    }
}
