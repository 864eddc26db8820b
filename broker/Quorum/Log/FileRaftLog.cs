using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Quorum.Log;

/// <summary>
/// The metadata log as segment files, <c>&lt;dir&gt;/&lt;20-digit base offset&gt;.log</c> (rolled once the active one
/// reaches the segment size), of length-prefixed entries: [offset int64][epoch int32][crc32 int32][payload length
/// int32][payload], big-endian, the CRC over the offset, epoch, length and payload. Appends are written straight to
/// the OS (so reads see them) and made durable by <see cref="Flush"/>. Opening recovers: the first entry that is
/// torn, fails its CRC or breaks the offset/epoch order ends the log, and the files are cut there durably.
/// The log start (the snapshot the log was truncated to) is kept in <c>log-start-offset</c> ("offset epoch"),
/// written before any segment below it is deleted; segments wholly below the start are deleted.
/// An index of every entry's position and epoch is kept in memory: the metadata log is small, and the quorum asks
/// for epochs on every fetch.
/// Exception policy: I/O errors (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>,
/// KafkaStorageException) propagate unchanged; after one the log's state on disk is unknown, so the owner must stop
/// using it (the quorum node treats it as fatal). Contract violations throw <see cref="ArgumentException"/> and change
/// nothing on disk. A corrupt tail is not an error: it is what a crash leaves, and recovery drops it.
/// </summary>
public sealed partial class FileRaftLog : IRaftLog, IDisposable
{
    /// <summary>The first segment's name (a log that was never truncated).</summary>
    public const string FileName = "00000000000000000000.log";

    public const string StartFileName = "log-start-offset";

    /// <summary>Kafka's metadata.log.segment.bytes default.</summary>
    public const long DefaultSegmentBytes = 1L << 30;

    private const int HeaderSize = 20;

    private readonly List<Segment> _segments = [];
    private readonly List<(Segment Segment, long Position, int Epoch, int Length)> _index = [];
    private readonly EpochCache _epochs = new();
    private readonly long _segmentBytes;
    private int _startEpoch;
    private bool _dirtyDir;

    private FileRaftLog(string directory, long segmentBytes)
    {
        Directory = directory;
        _segmentBytes = segmentBytes;
    }

    public string Directory { get; }

    public long StartOffset { get; private set; }

    public long EndOffset => StartOffset + _index.Count;

    public long FlushedOffset { get; private set; }

    public int LastEpoch => _epochs.LastEpoch;

    /// <summary>The segment files' base offsets, oldest first.</summary>
    public IReadOnlyList<long> SegmentBaseOffsets => [.. _segments.Select(s => s.BaseOffset)];

    /// <summary>Opens (creating when missing) the log in <paramref name="directory"/>, dropping a torn or corrupt tail.</summary>
    public static FileRaftLog Open(string directory, long segmentBytes = DefaultSegmentBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytes, 1);
        System.IO.Directory.CreateDirectory(directory);
        var log = new FileRaftLog(directory, segmentBytes);
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

    public int EpochAt(long offset) =>
        offset >= StartOffset && offset < EndOffset ? _index[(int)(offset - StartOffset)].Epoch
        : offset == StartOffset - 1 ? _startEpoch
        : -1;

    public (long EndOffset, int Epoch) EndOffsetForEpoch(int epoch) => _epochs.EndOffsetForEpoch(epoch, EndOffset);

    public IReadOnlyList<RaftEntry> Read(long offset, int maxBytes)
    {
        if (offset < StartOffset || offset >= EndOffset)
            return [];
        var first = (int)(offset - StartOffset);
        var end = first;
        var payloadBytes = 0;
        while (end < _index.Count && (end == first || payloadBytes + _index[end].Length <= maxBytes))
            payloadBytes += _index[end++].Length;
        var result = new List<RaftEntry>(end - first);
        // One read per segment the range touches.
        var i = first;
        while (i < end)
        {
            var segment = _index[i].Segment;
            var j = i;
            while (j < end && ReferenceEquals(_index[j].Segment, segment))
                j++;
            var start = _index[i].Position;
            var last = _index[j - 1];
            var buffer = new byte[last.Position + HeaderSize + last.Length - start];
            segment.ReadExactly(buffer, start);
            for (var k = i; k < j; k++)
            {
                var at = (int)(_index[k].Position - start);
                result.Add(new RaftEntry(StartOffset + k, _index[k].Epoch, buffer.AsSpan(at + HeaderSize, _index[k].Length).ToArray()));
            }
            i = j;
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
            if (entries[i].Offset != EndOffset + i)
                throw new ArgumentException($"entry offset {entries[i].Offset} does not continue the log at {EndOffset + i}");
            if (entries[i].Epoch < lastEpoch)
                throw new ArgumentException($"entry {entries[i].Offset} has epoch {entries[i].Epoch}, below {lastEpoch}");
            lastEpoch = entries[i].Epoch;
            size += HeaderSize + entries[i].Payload.Length;
        }
        var active = _segments[^1];
        if (active.Length > 0 && active.Length + size > _segmentBytes)
            active = Roll();
        var buffer = new byte[size];
        var at = 0;
        foreach (var entry in entries)
        {
            Encode(entry, buffer.AsSpan(at, HeaderSize + entry.Payload.Length));
            at += HeaderSize + entry.Payload.Length;
        }
        RandomAccess.Write(active.Handle, buffer, active.Length);
        active.Dirty = true;
        var position = active.Length;
        foreach (var entry in entries)
        {
            _index.Add((active, position, entry.Epoch, entry.Payload.Length));
            _epochs.OnAppend(entry.Offset, entry.Epoch);
            position += HeaderSize + entry.Payload.Length;
        }
        active.Length = position;
    }

    public void TruncateTo(long offset)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset));
        if (offset >= EndOffset)
            return;
        if (offset < StartOffset)
            throw new ArgumentException($"cannot truncate to {offset}, below the log start {StartOffset}");
        var (segment, position, _, _) = _index[(int)(offset - StartOffset)];
        // Later segments go; the one holding the offset is cut there (and kept, even when that leaves it empty).
        while (!ReferenceEquals(_segments[^1], segment))
        {
            _segments[^1].Delete();
            _segments.RemoveAt(_segments.Count - 1);
            _dirtyDir = true;
        }
        segment.Truncate(position);
        SyncDirectory();
        _index.RemoveRange((int)(offset - StartOffset), (int)(EndOffset - offset));
        _epochs.OnTruncate(offset);
        FlushedOffset = Math.Min(FlushedOffset, offset);
    }

    public void TruncatePrefix(long offset, int epoch)
    {
        if (offset <= StartOffset)
            return;
        Flush();
        // The start first: a crash after it leaves segments below the start, which the next open ignores and deletes.
        AtomicFile.Write(System.IO.Path.Combine(Directory, StartFileName), System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{offset} {epoch}\n")));
        if (offset > EndOffset || EpochAt(offset - 1) != epoch)
        {
            foreach (var segment in _segments)
                segment.Delete();
            _segments.Clear();
            _index.Clear();
            _segments.Add(Segment.Create(Directory, offset));
        }
        else
        {
            _index.RemoveRange(0, (int)(offset - StartOffset));
            // A segment is deleted when the next one starts at or below the new start: all its entries are below it.
            while (_segments.Count > 1 && _segments[1].BaseOffset <= offset)
            {
                _segments[0].Delete();
                _segments.RemoveAt(0);
            }
        }
        _dirtyDir = true;
        SyncDirectory();
        StartOffset = offset;
        _startEpoch = epoch;
        _epochs.OnTruncatePrefix(offset, epoch);
        if (_index.Count == 0)
            _epochs.OnTruncate(offset);
        FlushedOffset = EndOffset;
    }

    public void Clear()
    {
        foreach (var segment in _segments)
            segment.Delete();
        _segments.Clear();
        _index.Clear();
        File.Delete(System.IO.Path.Combine(Directory, StartFileName));
        _segments.Add(Segment.Create(Directory, 0));
        _dirtyDir = true;
        SyncDirectory();
        StartOffset = 0;
        _startEpoch = 0;
        _epochs.Clear();
        FlushedOffset = 0;
    }

    public void Flush()
    {
        if (FlushedOffset == EndOffset && !_dirtyDir)
            return;
        foreach (var segment in _segments)
        {
            if (segment.Dirty)
            {
                DurableFile.Fdatasync(segment.Handle);
                segment.Dirty = false;
            }
        }
        SyncDirectory();
        FlushedOffset = EndOffset;
    }

    public void Dispose()
    {
        foreach (var segment in _segments)
            segment.Dispose();
    }

    private Segment Roll()
    {
        var segment = Segment.Create(Directory, EndOffset);
        _segments.Add(segment);
        _dirtyDir = true;
        return segment;
    }

    private void SyncDirectory()
    {
        if (!_dirtyDir)
            return;
        DurableFile.FsyncDirectory(Directory);
        _dirtyDir = false;
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
}
