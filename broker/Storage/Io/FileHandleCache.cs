using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Io;

// Exception policy: Acquire throws KafkaStorageException when a file cannot be opened (missing, I/O error).

/// <summary>
/// Bounds the open file handles of inactive segments: an LRU of handles with a cap. A segment's file is opened on
/// the first read and closed when it is the least recently used one over the cap and no read holds it. Active
/// segments are pinned (their handle stays open and does not count against the cap).
/// </summary>
public sealed class FileHandleCache
{
    private readonly object _lock = new();
    private readonly LinkedList<SegmentFile> _lru = new();

    public FileHandleCache(int capacity = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Unpinned handles currently open (in use or idle).</summary>
    public int OpenUnpinned
    {
        get
        {
            lock (_lock)
            {
                return _lru.Count;
            }
        }
    }

    internal SafeFileHandle Acquire(SegmentFile file)
    {
        // Failures are thrown after the lock is released: a caller's exception filter runs before this frame's
        // finally, so throwing inside the lock would run foreign code (which may take other locks) while holding it.
        KafkaStorageException? failure = null;
        lock (_lock)
        {
            if (file.Handle is null)
            {
                if (file.Deleted)
                {
                    failure = new KafkaStorageException($"Segment file {file.Path} was deleted");
                }
                else
                {
                    try
                    {
                        file.Handle = Open(file);
                    }
                    catch (KafkaStorageException e)
                    {
                        failure = e;
                    }
                }
            }

            if (failure is null)
            {
                file.Refs++;
                if (!file.Pinned)
                {
                    if (file.LruNode is null)
                    {
                        file.LruNode = _lru.AddFirst(file);
                    }
                    else if (file.LruNode != _lru.First)
                    {
                        _lru.Remove(file.LruNode);
                        _lru.AddFirst(file.LruNode);
                    }
                }

                var handle = file.Handle!;
                EvictOverCap();
                return handle;
            }
        }

        throw failure;
    }

    /// <summary>
    /// Like <see cref="Acquire"/>, as a FileStream over the same handle (what socket file sends take; they want it
    /// marked asynchronous, see <see cref="SegmentFile.Options"/>). The stream is a view made once per open handle:
    /// it never owns the handle, which the cache alone closes.
    /// </summary>
    internal FileStream AcquireStream(SegmentFile file)
    {
        var handle = Acquire(file);
        try
        {
            lock (_lock)
            {
                if (file.Stream is null || file.StreamHandle != handle)
                {
                    var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0, isAsync: handle.IsAsync);

                    // The finalizer would close the shared handle behind the cache's back.
                    GC.SuppressFinalize(stream);
                    file.Stream = stream;
                    file.StreamHandle = handle;
                }

                return file.Stream;
            }
        }
        catch
        {
            Release(file);
            throw;
        }
    }

    internal void Release(SegmentFile file)
    {
        lock (_lock)
        {
            file.Refs--;
            if (file.Refs == 0 && file.Retired is { } retired)
            {
                retired.ForEach(h => h.Dispose());
                file.Retired = null;
            }

            if (file.Refs == 0 && file.Deleted && !file.Pinned)
            {
                CloseLocked(file);
            }

            EvictOverCap();
        }
    }

    /// <summary>Keeps the handle open for appends (the active segment).</summary>
    internal void Pin(SegmentFile file, SafeFileHandle writable)
    {
        lock (_lock)
        {
            if (file.LruNode is not null)
            {
                _lru.Remove(file.LruNode);
                file.LruNode = null;
            }

            if (file.Handle is not null && file.Handle != writable)
            {
                if (file.Refs == 0)
                {
                    file.Handle.Dispose();
                }
                else
                {
                    // A read still uses the handle opened before the first write: closed when the last read ends.
                    (file.Retired ??= []).Add(file.Handle);
                }
            }

            file.Handle = writable;
            file.Pinned = true;
        }
    }

    /// <summary>The segment is no longer written: its handle joins the LRU and may be closed when idle.</summary>
    internal void Unpin(SegmentFile file)
    {
        lock (_lock)
        {
            if (!file.Pinned)
            {
                return;
            }

            file.Pinned = false;
            if (file.Handle is not null)
            {
                file.LruNode = _lru.AddFirst(file);
            }

            EvictOverCap();
        }
    }

    /// <summary>Closes the handle now if no read holds it, otherwise when the last read releases it.</summary>
    internal void Close(SegmentFile file, bool deleted)
    {
        lock (_lock)
        {
            file.Pinned = false;
            file.Deleted |= deleted;
            if (file.Refs == 0)
            {
                CloseLocked(file);
            }
            else if (file.LruNode is null && file.Handle is not null)
            {
                file.LruNode = _lru.AddFirst(file);
            }
        }
    }

    private static SafeFileHandle Open(SegmentFile file)
    {
        // A segment renamed (to .deleted, from .swap) between reading its path and opening it: try the new path.
        for (var attempt = 0; ; attempt++)
        {
            var path = file.Path;
            try
            {
                return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, SegmentFile.Options);
            }
            catch (FileNotFoundException) when (attempt < 2 && file.Path != path)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot open segment file {path}: {e.Message}", e);
            }
        }
    }

    private void CloseLocked(SegmentFile file)
    {
        if (file.LruNode is not null)
        {
            _lru.Remove(file.LruNode);
            file.LruNode = null;
        }

        file.Handle?.Dispose();
        file.Handle = null;
        file.Stream = null;
        file.StreamHandle = null;
    }

    private void EvictOverCap()
    {
        var node = _lru.Last;
        while (_lru.Count > Capacity && node is not null)
        {
            var prev = node.Previous;
            if (node.Value.Refs == 0)
            {
                CloseLocked(node.Value);
            }

            node = prev;
        }
    }
}

/// <summary>A segment's .log file: its current path (it changes on rename) and the handle state the cache manages.</summary>
internal sealed class SegmentFile(FileHandleCache cache, string path)
{
    /// <summary>
    /// How segment files are opened. On Linux "asynchronous" only marks the handle (reads and writes stay positional
    /// and synchronous); Socket.SendPacketsAsync accepts only such files for its sendfile path.
    /// </summary>
    public const FileOptions Options = FileOptions.Asynchronous;

    public FileHandleCache Cache { get; } = cache;

    public string Path { get; set; } = path;

    // Guarded by the cache's lock.
    public SafeFileHandle? Handle { get; set; }

    public int Refs { get; set; }

    public bool Pinned { get; set; }

    public bool Deleted { get; set; }

    /// <summary>Handles replaced by the write handle while reads held them; closed when the last read releases.</summary>
    public List<SafeFileHandle>? Retired { get; set; }

    public LinkedListNode<SegmentFile>? LruNode { get; set; }

    public FileStream? Stream { get; set; }

    public SafeFileHandle? StreamHandle { get; set; }

    public FileStream AcquireStream() => Cache.AcquireStream(this);

    public SafeFileHandle Acquire() => Cache.Acquire(this);

    public void Release() => Cache.Release(this);
}
