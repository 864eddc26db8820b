using System.Buffers.Binary;
using System.Globalization;
using KafkaOperator.Storage.Io;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Quorum.Log;

// Opening: the segments are scanned in order; the first bad entry (torn, failing its CRC, out of order) or a
// segment that does not continue the one before ends the log there. Then the log start applies: entries below it
// are forgotten and segments wholly below it deleted; a log that does not reach the start in the start's epoch
// (a crash between the start file and the deletions of a reset) is emptied at the start.
public sealed partial class FileRaftLog
{
    private void Recover()
    {
        var (start, startEpoch) = ReadStart();
        var files = System.IO.Directory.EnumerateFiles(Directory, "*.log")
            .Select(path => (Path: path, Base: ParseBase(System.IO.Path.GetFileName(path))))
            .Where(f => f.Base >= 0)
            .OrderBy(f => f.Base)
            .ToList();
        var scanned = new List<(Segment Segment, long Position, int Epoch, int Length)>();
        long first = files.Count > 0 ? files[0].Base : start;
        var expected = first;
        var lastEpoch = 0;
        var broken = false;
        foreach (var (path, baseOffset) in files)
        {
            if (broken || baseOffset != expected)
            {
                File.Delete(path);
                _dirtyDir = true;
                broken = true;
                continue;
            }
            var segment = Segment.Open(path, baseOffset);
            _segments.Add(segment);
            broken = !Scan(segment, scanned, ref expected, ref lastEpoch);
        }
        if (_segments.Count == 0 || first > start || (start > first && (expected < start || scanned[(int)(start - 1 - first)].Epoch != startEpoch)))
        {
            // Nothing usable at the start: empty, continuing at it.
            foreach (var segment in _segments)
                segment.Delete();
            _segments.Clear();
            scanned.Clear();
            _segments.Add(Segment.Create(Directory, start));
            _dirtyDir = true;
            first = start;
        }
        scanned.RemoveRange(0, (int)(start - first));
        while (_segments.Count > 1 && _segments[1].BaseOffset <= start)
        {
            _segments[0].Delete();
            _segments.RemoveAt(0);
            _dirtyDir = true;
        }
        StartOffset = start;
        _startEpoch = startEpoch;
        if (start > 0)
            _epochs.OnTruncatePrefix(start, startEpoch);
        for (var i = 0; i < scanned.Count; i++)
        {
            _index.Add(scanned[i]);
            _epochs.OnAppend(start + i, scanned[i].Epoch);
        }
        SyncDirectory();
        FlushedOffset = EndOffset;
    }

    /// <summary>Indexes the segment's valid entries; false (the file cut after the last) at the first bad one.</summary>
    private static bool Scan(Segment segment, List<(Segment, long, int, int)> scanned, ref long expected, ref int lastEpoch)
    {
        var header = new byte[HeaderSize];
        var position = 0L;
        var fileLength = RandomAccess.GetLength(segment.Handle);
        var ok = true;
        while (position < fileLength)
        {
            if (position + HeaderSize > fileLength)
            {
                ok = false;
                break;
            }
            segment.ReadExactly(header, position);
            var offset = BinaryPrimitives.ReadInt64BigEndian(header);
            var epoch = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8));
            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16));
            if (offset != expected || epoch < lastEpoch || length < 0 || position + HeaderSize + length > fileLength)
            {
                ok = false;
                break;
            }
            var entry = new byte[HeaderSize + length];
            segment.ReadExactly(entry, position);
            if (BinaryPrimitives.ReadUInt32BigEndian(entry.AsSpan(12)) != Checksum(entry))
            {
                ok = false;
                break;
            }
            scanned.Add((segment, position, epoch, length));
            lastEpoch = epoch;
            expected++;
            position += HeaderSize + length;
        }
        if (position < fileLength)
            segment.Truncate(position);
        segment.Length = position;
        return ok;
    }

    private (long Offset, int Epoch) ReadStart()
    {
        var path = System.IO.Path.Combine(Directory, StartFileName);
        if (!File.Exists(path))
            return (0, 0);
        var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            throw new InvalidDataException($"{path} is not \"<offset> <epoch>\"");
        return (offset, epoch);
    }

    private static long ParseBase(string name) =>
        name.Length == 24 && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : -1;

    /// <summary>One segment file: its base offset, handle and length (what the log wrote; the OS holds it before a flush).</summary>
    private sealed class Segment : IDisposable
    {
        private Segment(string path, long baseOffset)
        {
            Path = path;
            BaseOffset = baseOffset;
            Handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        }

        public string Path { get; }

        public long BaseOffset { get; }

        public SafeFileHandle Handle { get; }

        public long Length { get; set; }

        /// <summary>Written since its last fsync.</summary>
        public bool Dirty { get; set; }

        public static Segment Open(string path, long baseOffset) => new(path, baseOffset);

        public static Segment Create(string directory, long baseOffset)
        {
            var segment = new Segment(System.IO.Path.Combine(directory, baseOffset.ToString("D20", CultureInfo.InvariantCulture) + ".log"), baseOffset);
            if (RandomAccess.GetLength(segment.Handle) > 0)
                RandomAccess.SetLength(segment.Handle, 0);
            segment.Dirty = true;
            return segment;
        }

        public void Truncate(long length)
        {
            RandomAccess.SetLength(Handle, length);
            DurableFile.Fdatasync(Handle);
            Length = length;
        }

        public void Delete()
        {
            Handle.Dispose();
            File.Delete(Path);
        }

        public void ReadExactly(byte[] buffer, long position)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var n = RandomAccess.Read(Handle, buffer.AsSpan(done), position + done);
                if (n == 0)
                    throw new EndOfStreamException($"{Path}: unexpected end of file at {position + done}");
                done += n;
            }
        }

        public void Dispose() => Handle.Dispose();
    }
}
