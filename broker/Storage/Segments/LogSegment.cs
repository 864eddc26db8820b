using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Index;
using KafkaOperator.Storage.Io;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Segments;

// Exception policy: every I/O failure is thrown as KafkaStorageException. Lookups that find nothing return null.
// Only the owning PartitionLog writes (under its lock); reads run concurrently on a size snapshot.

/// <summary>
/// One segment: `&lt;base offset&gt;.log` plus its sparse `.index` and `.timeindex`. Only the active segment is
/// appended to; its handle stays open, inactive segments get theirs from the <see cref="FileHandleCache"/>.
/// </summary>
internal sealed partial class LogSegment
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string DeletedSuffix = ".deleted";
    public const string CleanedSuffix = ".cleaned";
    public const string SwapSuffix = ".swap";

    private readonly object _indexLoadLock = new();
    private volatile bool _indexesLoaded;
    private volatile int _size;
    private bool _active;
    private SafeFileHandle? _writeHandle;
    private int _bytesSinceLastIndexEntry;
    private long _writebackFrom;

    // Set before every change to the file, cleared before an fsync: a flush with nothing new skips the syscalls.
    private volatile bool _dirty;

    private LogSegment(string dir, long baseOffset, FileHandleCache cache, int indexBytes, int indexInterval, string suffix)
    {
        Directory = dir;
        BaseOffset = baseOffset;
        File = new SegmentFile(cache, System.IO.Path.Join(dir, FileStem(baseOffset) + LogSuffix + suffix));
        OffsetIndex = new OffsetIndex(dir, IndexSuffix + suffix, baseOffset, indexBytes);
        TimeIndex = new TimeIndex(dir, TimeIndexSuffix + suffix, baseOffset, indexBytes);
        IndexInterval = indexInterval;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    public SegmentFile File { get; }

    public OffsetIndex OffsetIndex { get; }

    public TimeIndex TimeIndex { get; }

    public int IndexInterval { get; set; }

    /// <summary>Bytes of complete batches in the file.</summary>
    public int Size => _size;

    /// <summary>Largest batch max timestamp seen in this segment, -1 when none (tracked for the active segment).</summary>
    public long MaxTimestampSoFar { get; private set; } = -1;

    public long OffsetOfMaxTimestampSoFar { get; private set; } = -1;

    /// <summary>Wall-clock ms of the first append (segment.ms rolls from it); -1 while the segment is empty.</summary>
    public long RollingBaseMs { get; set; } = -1;

    /// <summary>Offset after the last batch, once known (set by the owner for the active segment).</summary>
    public long NextOffset { get; set; }

    public bool IsActive => _active;

    public static string FileStem(long baseOffset) => baseOffset.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Opens an existing segment (or creates an empty one when <paramref name="create"/>). With the directory's
    /// <paramref name="listed"/> files (loading), the lengths of the segment and its indexes are taken from the
    /// listing instead of being looked up again; nothing is opened until first used.
    /// </summary>
    public static LogSegment Open(string dir, long baseOffset, LogConfig config, FileHandleCache cache, bool create, string suffix = "",
        SegmentFiles? listed = null)
    {
        var segment = new LogSegment(dir, baseOffset, cache, config.SegmentIndexBytes, config.IndexIntervalBytes, suffix);
        try
        {
            if (create)
            {
                using (System.IO.File.Create(segment.File.Path))
                {
                }

                segment._indexesLoaded = true;
                segment.OffsetIndex.Reset();
                segment.TimeIndex.Reset();
            }

            if (!create && listed?.LengthOf(System.IO.Path.GetFileName(segment.File.Path)) is { } length)
            {
                segment._size = (int)length;
                var stem = FileStem(baseOffset);
                segment.OffsetIndex.ListedLength = listed.LengthOf(stem + IndexSuffix + suffix) ?? SparseIndex.ListedMissing;
                segment.TimeIndex.ListedLength = listed.LengthOf(stem + TimeIndexSuffix + suffix) ?? SparseIndex.ListedMissing;
            }
            else
            {
                segment._size = (int)new FileInfo(segment.File.Path).Length;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot open segment {segment.File.Path}: {e.Message}", e);
        }

        segment.NextOffset = baseOffset;
        return segment;
    }

    /// <summary>
    /// Makes this the active segment. Its write handle is opened (and pinned in the cache) by the first write, not
    /// here: a broker loading 100,000 partitions would otherwise open and hold one file per partition at start-up,
    /// most of which are never written to before the next restart (and would exceed a 20,000 open-file limit).
    /// </summary>
    public void Activate()
    {
        if (_active)
        {
            return;
        }

        _active = true;
        EnsureIndexesLoaded();
        _writebackFrom = _size;
    }

    // Only the owning PartitionLog writes, under its lock, so opening on first use needs no lock of its own.
    private SafeFileHandle WriteHandle()
    {
        if (_writeHandle is { } open)
        {
            return open;
        }

        if (!_active)
        {
            throw new InvalidOperationException($"Segment {File.Path} is not active");
        }

        SafeFileHandle handle;
        try
        {
            handle = System.IO.File.OpenHandle(File.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, SegmentFile.Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot open segment {File.Path} for append: {e.Message}", e);
        }

        File.Cache.Pin(File, handle);
        _writeHandle = handle;
        return handle;
    }

    /// <summary>
    /// Appends whole batches at the end of the file and indexes them. <paramref name="batches"/> describes the
    /// batches inside <paramref name="data"/> in order.
    /// </summary>
    public void Append(ReadOnlySpan<byte> data, ReadOnlySpan<BatchSummary> batches, long nowMs)
    {
        var handle = WriteHandle();
        var position = _size;
        _dirty = true;
        try
        {
            RandomAccess.Write(handle, data, position);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot append to {File.Path}: {e.Message}", e);
        }

        if (RollingBaseMs < 0)
        {
            RollingBaseMs = nowMs;
        }

        foreach (ref readonly var b in batches)
        {
            IndexBatch(position + b.Position, b.LastOffset, b.MaxTimestamp, b.Size);
        }

        _size = position + data.Length;
        NextOffset = batches[^1].LastOffset + 1;
    }

    /// <summary>Bytes appended since the last writeback kick; the owner decides when to start writeback.</summary>
    public long UnkickedBytes => _size - _writebackFrom;

    /// <summary>Asks the kernel to start writing back everything appended since the last kick (does not wait).</summary>
    public void KickWriteback()
    {
        var handle = _writeHandle;
        var from = _writebackFrom;
        var to = _size;
        if (handle is null || to <= from)
        {
            return;
        }

        _writebackFrom = to;
        ThreadPool.UnsafeQueueUserWorkItem(static s => NativeFile.StartWriteback(s.handle, s.from, s.to - s.from), (handle, from, to: (long)to), preferLocal: false);
    }

    private void IndexBatch(int position, long lastOffset, long maxTimestamp, int size)
    {
        if (maxTimestamp > MaxTimestampSoFar)
        {
            MaxTimestampSoFar = maxTimestamp;
            OffsetOfMaxTimestampSoFar = lastOffset;
        }

        if (_bytesSinceLastIndexEntry > IndexInterval)
        {
            OffsetIndex.Append(lastOffset, position);
            TimeIndex.MaybeAppend(MaxTimestampSoFar, OffsetOfMaxTimestampSoFar);
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry += size;
    }

    public bool IndexFull
    {
        get
        {
            EnsureIndexesLoaded();
            return OffsetIndex.IsFull || TimeIndex.IsFull;
        }
    }

    /// <summary>Loads both index files on first use; rebuilds them from the log when missing or corrupt.</summary>
    public void EnsureIndexesLoaded()
    {
        if (_indexesLoaded)
        {
            return;
        }

        lock (_indexLoadLock)
        {
            if (_indexesLoaded)
            {
                return;
            }

            var size = _size;
            if (size == 0)
            {
                // Nothing to index: what is on disk is only checked for being empty, without reading it.
                OffsetIndex.LoadForEmptyLog();
                TimeIndex.LoadForEmptyLog();
            }
            else if (!OffsetIndex.Load(size) || !TimeIndex.Load(size))
            {
                RebuildIndexes(size);
            }
            else if (TimeIndex.Last is { } last)
            {
                MaxTimestampSoFar = last.Key;
                OffsetOfMaxTimestampSoFar = last.Value;
            }

            _indexesLoaded = true;
        }
    }

    /// <summary>Finds the first batch whose last offset is &gt;= <paramref name="offset"/>, below <paramref name="end"/>.</summary>
    public (long Position, RecordBatchHeader Header)? TranslateOffset(long offset, long end)
    {
        EnsureIndexesLoaded();
        var (_, start) = OffsetIndex.Lookup(offset);
        if (start >= end)
        {
            start = 0;
        }

        var handle = File.Acquire();
        try
        {
            using var reader = new BatchReader(handle, start, end);
            while (reader.Next(false, out var header, out _))
            {
                if (header.LastOffset >= offset)
                {
                    return (reader.Position, header);
                }

                reader.Advance(header);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read {File.Path}: {e.Message}", e);
        }
        finally
        {
            File.Release();
        }
    }

    /// <summary>
    /// Bytes from the batch holding <paramref name="startOffset"/>, at most <paramref name="maxSize"/> (or the first
    /// batch whole when <paramref name="minOneBatch"/>), never past <paramref name="maxPosition"/>. Null when this
    /// segment has no batch at or after the offset.
    /// </summary>
    public (FileRecordSet Records, long FirstBatchBaseOffset)? Read(long startOffset, int maxSize, long maxPosition, bool minOneBatch, long sizeBound)
    {
        var found = TranslateOffset(startOffset, sizeBound);
        if (found is not { } f)
        {
            return null;
        }

        if (f.Position >= maxPosition)
        {
            return (new FileRecordSet(File, f.Position, 0), f.Header.BaseOffset);
        }

        var limit = minOneBatch ? Math.Max(maxSize, f.Header.TotalSize) : maxSize;
        var length = (int)Math.Min(maxPosition - f.Position, limit);
        return (new FileRecordSet(File, f.Position, length), f.Header.BaseOffset);
    }

    /// <summary>Fsyncs the log file (data only) and writes the index files.</summary>
    public void Flush()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        var handle = File.Acquire();
        try
        {
            NativeFile.Fdatasync(handle);
        }
        finally
        {
            File.Release();
        }

        if (_indexesLoaded)
        {
            OffsetIndex.Flush(durable: true);
            TimeIndex.Flush(durable: true);
        }
    }

    /// <summary>The segment stops being the active one: final time index entry, indexes written, handle unpinned.</summary>
    public void OnBecomeInactive()
    {
        if (MaxTimestampSoFar >= 0)
        {
            var last = TimeIndex.Last;
            if (last is null || MaxTimestampSoFar > last.Value.Key)
            {
                TimeIndex.Append(MaxTimestampSoFar, OffsetOfMaxTimestampSoFar);
            }
        }

        OffsetIndex.Flush(durable: false);
        TimeIndex.Flush(durable: false);
        _active = false;
        if (_writeHandle is not null)
        {
            File.Cache.Unpin(File);
            _writeHandle = null;
        }
    }

    /// <summary>Closes the segment's handles (shutdown or log deletion).</summary>
    public void Close()
    {
        if (_active)
        {
            OnBecomeInactive();
        }
        else if (_indexesLoaded)
        {
            OffsetIndex.Flush(durable: false);
            TimeIndex.Flush(durable: false);
        }

        File.Cache.Close(File, deleted: false);
    }

    /// <summary>Largest timestamp for retention: the max batch timestamp, else the file's modification time.</summary>
    public long LargestTimestamp()
    {
        EnsureIndexesLoaded();
        if (MaxTimestampSoFar >= 0)
        {
            return MaxTimestampSoFar;
        }

        return new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(File.Path)).ToUnixTimeMilliseconds();
    }
}

/// <summary>Where one batch sits inside an append and what the indexes need from it.</summary>
internal readonly record struct BatchSummary(int Position, int Size, long LastOffset, long MaxTimestamp);
