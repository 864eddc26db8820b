using System.Buffers.Binary;
using System.IO.Hashing;
using KafkaOperator.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Quorum.Log;

/// <summary>
/// The metadata log in one file, <c>&lt;dir&gt;/00000000000000000000.log</c>, of length-prefixed entries:
/// [offset int64][epoch int32][crc32 int32][payload length int32][payload], big-endian, the CRC over the offset,
/// epoch, length and payload. Appends are written straight to the OS (so reads see them) and made durable by
/// <see cref="Flush"/> with one fsync. Opening recovers: the first entry that is torn, fails its CRC or breaks the
/// offset/epoch order ends the log, and the file is cut there durably.
/// An index of every entry's position and epoch is kept in memory: the metadata log is small, and the quorum asks
/// for epochs on every fetch.
/// Exception policy: I/O errors (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>) propagate
/// unchanged; after one the log's state on disk is unknown, so the owner must stop using it (the quorum node
/// treats it as fatal). Contract violations throw <see cref="ArgumentException"/> and change nothing on disk.
/// A corrupt tail is not an error: it is what a crash leaves, and recovery drops it.
/// </summary>
public sealed class FileRaftLog : IRaftLog, IDisposable
{
    public const string FileName = "00000000000000000000.log";
    private const int HeaderSize = 20;

    private readonly SafeFileHandle _handle;
    private readonly FileStream _stream;
    private readonly List<(long Position, int Epoch, int Length)> _index = [];
    private readonly EpochCache _epochs = new();
    private long _fileLength;

    private FileRaftLog(string path)
    {
        Path = path;
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        // Unbuffered: writes go to the OS at once (visible to positional reads); Flush(true) is the fsync.
        _stream = new FileStream(_handle, FileAccess.ReadWrite, bufferSize: 0);
    }

    public string Path { get; }

    public long EndOffset => _index.Count;

    public long FlushedOffset { get; private set; }

    public int LastEpoch => _epochs.LastEpoch;

    /// <summary>Opens (creating when missing) the log in <paramref name="directory"/>, dropping a torn or corrupt tail.</summary>
    public static FileRaftLog Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var log = new FileRaftLog(System.IO.Path.Combine(directory, FileName));
        try
        {
            log.Recover();
        }
        catch
        {
            log.Dispose();
            throw;
        }
        return log;
    }

    public int EpochAt(long offset) => offset >= 0 && offset < _index.Count ? _index[(int)offset].Epoch : -1;

    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch) => _epochs.EndOffsetForEpoch(epoch, EndOffset);

    public IReadOnlyList<RaftEntry> Read(long offset, int maxBytes)
    {
        if (offset < 0 || offset >= _index.Count)
            return [];
        var end = (int)offset;
        var payloadBytes = 0;
        while (end < _index.Count && (end == offset || payloadBytes + _index[end].Length <= maxBytes))
            payloadBytes += _index[end++].Length;
        var start = _index[(int)offset].Position;
        var last = _index[end - 1];
        var buffer = new byte[last.Position + HeaderSize + last.Length - start];
        ReadExactly(buffer, start);
        var result = new List<RaftEntry>(end - (int)offset);
        for (var i = (int)offset; i < end; i++)
        {
            var at = (int)(_index[i].Position - start);
            result.Add(new RaftEntry(i, _index[i].Epoch, buffer.AsSpan(at + HeaderSize, _index[i].Length).ToArray()));
        }
        return result;
    }

    public void Append(IReadOnlyList<RaftEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
            return;
        // Validate all first so a bad batch leaves neither the file nor the index half-changed.
        var lastEpoch = LastEpoch;
        var size = 0L;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Offset != _index.Count + i)
                throw new ArgumentException($"entry offset {entries[i].Offset} does not continue the log at {_index.Count + i}");
            if (entries[i].Epoch < lastEpoch)
                throw new ArgumentException($"entry {entries[i].Offset} has epoch {entries[i].Epoch}, below {lastEpoch}");
            lastEpoch = entries[i].Epoch;
            size += HeaderSize + entries[i].Payload.Length;
        }
        var buffer = new byte[size];
        var at = 0;
        foreach (var entry in entries)
        {
            Encode(entry, buffer.AsSpan(at, HeaderSize + entry.Payload.Length));
            at += HeaderSize + entry.Payload.Length;
        }
        RandomAccess.Write(_handle, buffer, _fileLength);
        var position = _fileLength;
        foreach (var entry in entries)
        {
            _index.Add((position, entry.Epoch, entry.Payload.Length));
            _epochs.OnAppend(entry.Offset, entry.Epoch);
            position += HeaderSize + entry.Payload.Length;
        }
        _fileLength = position;
    }

    public void TruncateTo(long offset)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset));
        if (offset >= _index.Count)
            return;
        var length = _index[(int)offset].Position;
        _stream.SetLength(length);
        _stream.Flush(true);
        _fileLength = length;
        _index.RemoveRange((int)offset, _index.Count - (int)offset);
        _epochs.OnTruncate(offset);
        FlushedOffset = Math.Min(FlushedOffset, offset);
    }

    public void Flush()
    {
        if (FlushedOffset == _index.Count)
            return;
        _stream.Flush(true);
        FlushedOffset = _index.Count;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _handle.Dispose();
    }

    private static void Encode(RaftEntry entry, Span<byte> target)
    {
        BinaryPrimitives.WriteInt64BigEndian(target, entry.Offset);
        BinaryPrimitives.WriteInt32BigEndian(target[8..], entry.Epoch);
        BinaryPrimitives.WriteInt32BigEndian(target[16..], entry.Payload.Length);
        entry.Payload.CopyTo(target[HeaderSize..]);
        BinaryPrimitives.WriteUInt32BigEndian(target[12..], Checksum(target));
    }

    private static uint Checksum(ReadOnlySpan<byte> entry)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(entry[..12]);
        crc.Append(entry[16..]);
        return crc.GetCurrentHashAsUInt32();
    }

    private void Recover()
    {
        var fileLength = RandomAccess.GetLength(_handle);
        var header = new byte[HeaderSize];
        var position = 0L;
        var lastEpoch = 0;
        while (position + HeaderSize <= fileLength)
        {
            ReadExactly(header, position);
            var offset = BinaryPrimitives.ReadInt64BigEndian(header);
            var epoch = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8));
            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16));
            if (offset != _index.Count || epoch < lastEpoch || length < 0 || position + HeaderSize + length > fileLength)
                break;
            var entry = new byte[HeaderSize + length];
            ReadExactly(entry, position);
            if (BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(12)) != Checksum(entry))
                break;
            _index.Add((position, epoch, length));
            _epochs.OnAppend(offset, epoch);
            lastEpoch = epoch;
            position += HeaderSize + length;
        }
        if (position < fileLength)
        {
            _stream.SetLength(position);
            _stream.Flush(true);
        }
        _fileLength = position;
        FlushedOffset = _index.Count;
    }

    private void ReadExactly(byte[] buffer, long position)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer.AsSpan(done), position + done);
            if (n == 0)
                throw new EndOfStreamException($"{Path}: unexpected end of file at {position + done}");
            done += n;
        }
    }
}
