using KafkaOperator.Storage.Io;

namespace KafkaOperator.Storage.Index;

// Exception policy: Load returns false for a corrupt file (the segment rebuilds it); Flush/Delete/Rename throw
// KafkaStorageException on I/O errors.

/// <summary>
/// A sorted array of (key, value) entries kept in memory and mirrored to a file of fixed-size big-endian entries,
/// as Kafka's .index and .timeindex. Appends only grow the tail; Flush writes the unwritten tail (or rewrites the
/// whole file after a truncation). Thread-safe: one small lock; lookups are binary searches.
/// </summary>
internal abstract class SparseIndex
{
    private readonly object _lock = new();
    private readonly string _dir;
    private readonly string _suffix;
    private string? _renamed;

    // Allocated by the first entry: most of 100,000 loaded logs never get one.
    private long[] _keys = [];
    private long[] _values = [];
    private int _count;
    private int _written;
    private bool _rewrite;
    private bool _deleted;
    private int _durable = -1;

    /// <summary>The index `&lt;base offset&gt;<paramref name="suffix"/>` in <paramref name="dir"/> (the partition's, shared).</summary>
    protected SparseIndex(string dir, string suffix, long baseOffset, int maxIndexBytes, int entrySize)
    {
        _dir = dir;
        _suffix = suffix;
        BaseOffset = baseOffset;
        EntrySize = entrySize;
        MaxEntries = Math.Max(1, maxIndexBytes / entrySize);
    }

    /// <summary>
    /// The file's path, made when used rather than kept: a loaded broker holds 100,000 segments' two indexes, and
    /// their full paths were a third of what a loaded idle log kept in memory.
    /// </summary>
    public string Path => _renamed ?? System.IO.Path.Join(_dir, BaseOffset.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + _suffix);

    /// <summary>
    /// The file's length as the log dir's listing saw it at load, <see cref="ListedMissing"/> when the listing did
    /// not have it, or -1 when unknown: spares <see cref="LoadForEmptyLog"/> a stat and an empty index's rewrite
    /// an open. Any change to the file makes it unknown again.
    /// </summary>
    public long ListedLength { get; set; } = -1;

    public const long ListedMissing = -2;

    public long BaseOffset { get; }

    public int EntrySize { get; }

    public int MaxEntries { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public bool IsFull => Count >= MaxEntries;

    public int SizeInBytes => Count * EntrySize;

    protected abstract void Encode(Span<byte> entry, long key, long value);

    protected abstract (long Key, long Value) Decode(ReadOnlySpan<byte> entry);

    /// <summary>True when the entries are in order and plausible for a log file of <paramref name="logSize"/> bytes.</summary>
    protected abstract bool IsValid(long key, long value, long prevKey, long prevValue, bool first, long logSize);

    /// <summary>Reads the file; false (and empty) when it is missing or does not pass the sanity check.</summary>
    public bool Load(long logSize)
    {
        lock (_lock)
        {
            Clear();
            ListedLength = -1;
            if (!File.Exists(Path))
            {
                return logSize == 0;
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }

            if (bytes.Length % EntrySize != 0)
            {
                return false;
            }

            long prevKey = 0, prevValue = 0;
            for (var i = 0; i < bytes.Length / EntrySize; i++)
            {
                var (k, v) = Decode(bytes.AsSpan(i * EntrySize, EntrySize));
                if (!IsValid(k, v, prevKey, prevValue, i == 0, logSize))
                {
                    Clear();
                    return false;
                }

                AppendLocked(k, v);
                prevKey = k;
                prevValue = v;
            }

            _written = _count;
            return true;
        }
    }

    /// <summary>
    /// Empties the index for a log file of zero bytes, where no entry can be valid. Only the file's length is looked
    /// at: an empty or missing file already says that, anything else is rewritten by the next flush (a stale entry
    /// left there would be trusted once the log has grown past it).
    /// </summary>
    public void LoadForEmptyLog()
    {
        lock (_lock)
        {
            Clear();
            var length = ListedLength == ListedMissing ? 0 : ListedLength;
            if (length < 0)
            {
                try
                {
                    var info = new FileInfo(Path);
                    length = info.Exists ? info.Length : 0;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    length = -1;
                }
            }

            _rewrite = length != 0;
            _durable = length == 0 ? 0 : -1;
        }
    }

    /// <summary>The last entry whose key is &lt;= <paramref name="key"/>, or null when there is none.</summary>
    public (long Key, long Value)? Floor(long key)
    {
        lock (_lock)
        {
            int lo = 0, hi = _count - 1, found = -1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_keys[mid] <= key)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return found < 0 ? null : (_keys[found], _values[found]);
        }
    }

    /// <summary>The first entry whose key is &gt;= <paramref name="key"/>, or null.</summary>
    public (long Key, long Value)? Ceiling(long key)
    {
        lock (_lock)
        {
            int lo = 0, hi = _count - 1, found = -1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_keys[mid] >= key)
                {
                    found = mid;
                    hi = mid - 1;
                }
                else
                {
                    lo = mid + 1;
                }
            }

            return found < 0 ? null : (_keys[found], _values[found]);
        }
    }

    public (long Key, long Value)? Last
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? null : (_keys[_count - 1], _values[_count - 1]);
            }
        }
    }

    public void Append(long key, long value)
    {
        lock (_lock)
        {
            AppendLocked(key, value);
        }
    }

    /// <summary>Drops every entry whose key is &gt;= <paramref name="key"/> (offset index) .</summary>
    public void TruncateFromKey(long key) => TruncateWhere(static (k, _, x) => k >= x, key);

    /// <summary>Drops every entry whose value is &gt;= <paramref name="value"/> (time index by offset).</summary>
    public void TruncateFromValue(long value) => TruncateWhere(static (_, v, x) => v >= x, value);

    public void Reset()
    {
        lock (_lock)
        {
            Clear();
            _rewrite = true;
        }
    }

    /// <summary>Writes entries not yet on disk; fsyncs the file when <paramref name="durable"/>.</summary>
    public void Flush(bool durable)
    {
        lock (_lock)
        {
            if (_deleted || (!_rewrite && _written == _count && (!durable || _durable == _count)))
            {
                return;
            }

            if (_rewrite && _count == 0 && ListedLength == 0)
            {
                // Rebuilt empty (a recovered log below the index interval) over a file the listing found empty:
                // nothing to write, where recovering 100,000 small logs would open and truncate two files each.
                _rewrite = false;
                _written = 0;
                return;
            }

            ListedLength = -1;
            try
            {
                using var handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.Write);
                var from = _rewrite ? 0 : _written;
                var buffer = new byte[(_count - from) * EntrySize];
                for (var i = from; i < _count; i++)
                {
                    Encode(buffer.AsSpan((i - from) * EntrySize, EntrySize), _keys[i], _values[i]);
                }

                RandomAccess.Write(handle, buffer, (long)from * EntrySize);
                if (_rewrite || RandomAccess.GetLength(handle) != (long)_count * EntrySize)
                {
                    RandomAccess.SetLength(handle, (long)_count * EntrySize);
                }

                if (durable && _count > 0)
                {
                    NativeFile.Fdatasync(handle);
                    _durable = _count;
                }

                _written = _count;
                _rewrite = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot write index {Path}: {e.Message}", e);
            }
        }
    }

    public void RenameTo(string newPath)
    {
        lock (_lock)
        {
            ListedLength = -1;
            try
            {
                if (File.Exists(Path))
                {
                    File.Move(Path, newPath, overwrite: true);
                }

                _renamed = newPath;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot rename index {Path}: {e.Message}", e);
            }
        }
    }

    public void DeleteFile()
    {
        lock (_lock)
        {
            _deleted = true;
            ListedLength = -1;
            try
            {
                File.Delete(Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot delete index {Path}: {e.Message}", e);
            }
        }
    }

    private void TruncateWhere(Func<long, long, long, bool> drop, long x)
    {
        lock (_lock)
        {
            var n = _count;
            while (n > 0 && drop(_keys[n - 1], _values[n - 1], x))
            {
                n--;
            }

            if (n != _count)
            {
                // A new array, so a lookup racing the truncation never reads an entry that is being rewritten.
                var keep = Math.Min(_keys.Length, Math.Max(8, n));
                _keys = _keys.AsSpan(0, keep).ToArray();
                _values = _values.AsSpan(0, keep).ToArray();
                _count = n;
                if (_written > n)
                {
                    _rewrite = true;
                    _written = n;
                }
            }
        }
    }

    private void AppendLocked(long key, long value)
    {
        if (_count == _keys.Length)
        {
            var size = Math.Min(Math.Max(8, _keys.Length * 2), Math.Max(MaxEntries, _count + 1));
            Array.Resize(ref _keys, size);
            Array.Resize(ref _values, size);
        }

        _keys[_count] = key;
        _values[_count] = value;
        _count++;
    }

    private void Clear()
    {
        _keys = [];
        _values = [];
        _count = 0;
        _written = 0;
    }
}
