using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;
using Microsoft.Win32.SafeHandles;

namespace KafkaOperator.Storage.Segments;

/// <summary>Recovery, truncation, tail scanning, timestamp search and file renames of a segment.</summary>
internal sealed partial class LogSegment
{
    /// <summary>
    /// Validates every batch (framing, CRC, <paramref name="isPlausible"/> for what the CRC does not cover),
    /// truncates the file at the first bad one and rebuilds both indexes. Returns the bytes cut off.
    /// </summary>
    public long Recover(Func<RecordBatchHeader, bool> isPlausible, Action<RecordBatchHeader>? onBatch)
    {
        // The file's length as opened or listed: recovery runs while loading, under the log dir's lock, and every
        // truncation since updated it.
        long fileLength = _size;
        if (fileLength == 0)
        {
            // An empty file has nothing to validate or cut (the common case of a partition never written to):
            // no handle, and the index files are rewritten only when they are not empty already.
            ResetIndexState();
            OffsetIndex.LoadForEmptyLog();
            TimeIndex.LoadForEmptyLog();
            _size = 0;
            _indexesLoaded = true;
            return 0;
        }

        ResetIndexState();
        var handle = File.Acquire();
        long valid;
        try
        {
            using var reader = new BatchReader(handle, 0, fileLength, headersOnly: false);
            while (reader.Next(true, out var header, out var batch))
            {
                if (!RecordBatchHeader.CrcMatches(batch) || !isPlausible(header)
                    || header.LastOffset - BaseOffset > int.MaxValue || header.BaseOffset < BaseOffset)
                {
                    break;
                }

                IndexBatch((int)reader.Position, header.LastOffset, header.MaxTimestamp, header.TotalSize);
                onBatch?.Invoke(header);
                NextOffset = header.LastOffset + 1;
                reader.Advance(header);
            }

            valid = reader.Position;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read {File.Path} during recovery: {e.Message}", e);
        }
        finally
        {
            File.Release();
        }

        if (valid < fileLength)
        {
            SetFileLength(valid);
        }

        _size = (int)valid;
        _indexesLoaded = true;
        OffsetIndex.Flush(durable: false);
        TimeIndex.Flush(durable: false);
        return fileLength - valid;
    }

    /// <summary>
    /// Reads the batches after the last index entry: the next offset, the max timestamp and where the next index
    /// entry is due. Used for the active segment on load and after truncation. False when the tail holds an
    /// invalid batch (the caller recovers the segment).
    /// </summary>
    public bool LoadTail()
    {
        EnsureIndexesLoaded();
        var start = OffsetIndex.Last is { } lastEntry ? lastEntry.Value : 0;
        if (_size == 0)
        {
            _bytesSinceLastIndexEntry = 0;
            return start == 0;
        }

        var handle = File.Acquire();
        try
        {
            using var reader = new BatchReader(handle, start, _size);
            _bytesSinceLastIndexEntry = 0;
            while (reader.Next(false, out var header, out _))
            {
                if (reader.Position == 0 && RollingBaseMs < 0)
                {
                    RollingBaseMs = header.MaxTimestamp;
                }

                if (header.MaxTimestamp > MaxTimestampSoFar)
                {
                    MaxTimestampSoFar = header.MaxTimestamp;
                    OffsetOfMaxTimestampSoFar = header.LastOffset;
                }

                _bytesSinceLastIndexEntry += header.TotalSize;

                NextOffset = header.LastOffset + 1;
                reader.Advance(header);
            }

            if (reader.Position != _size)
            {
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read {File.Path}: {e.Message}", e);
        }
        finally
        {
            File.Release();
        }

        if (_size > 0 && RollingBaseMs < 0)
        {
            RollingBaseMs = MaxTimestampSoFar;
        }

        return true;
    }

    /// <summary>Offset after the last batch (scans the tail of an inactive segment once).</summary>
    public long NextOffsetOrScan()
    {
        if (NextOffset <= BaseOffset && _size > 0)
        {
            _ = LoadTail();
        }

        return NextOffset;
    }

    /// <summary>Removes the batch holding <paramref name="offset"/> and everything after it; returns bytes removed.</summary>
    public long TruncateTo(long offset)
    {
        var found = TranslateOffset(offset, _size);
        if (found is not { } f)
        {
            return 0;
        }

        var removed = _size - f.Position;
        OffsetIndex.TruncateFromKey(offset);
        TimeIndex.TruncateFromValue(offset);
        SetFileLength(f.Position);
        _size = (int)f.Position;
        _writebackFrom = Math.Min(_writebackFrom, _size);
        MaxTimestampSoFar = -1;
        OffsetOfMaxTimestampSoFar = -1;
        if (TimeIndex.Last is { } last)
        {
            MaxTimestampSoFar = last.Key;
            OffsetOfMaxTimestampSoFar = last.Value;
        }

        NextOffset = BaseOffset;
        if (_size == 0)
        {
            RollingBaseMs = -1;
        }

        _ = LoadTail();
        OffsetIndex.Flush(durable: false);
        TimeIndex.Flush(durable: false);
        return removed;
    }

    /// <summary>
    /// The first batch at or after <paramref name="minOffset"/> whose max timestamp is &gt;= <paramref name="timestamp"/>:
    /// (its header, position), or null when no batch in this segment qualifies.
    /// </summary>
    public (long Position, RecordBatchHeader Header)? FindBatchByTimestamp(long timestamp, long minOffset, long end)
    {
        EnsureIndexesLoaded();
        var fromOffset = minOffset;
        if (TimeIndex.Floor(timestamp) is { } t && t.Value > fromOffset)
        {
            fromOffset = t.Value;
        }

        var (_, start) = OffsetIndex.Lookup(fromOffset);
        var handle = File.Acquire();
        try
        {
            using var reader = new BatchReader(handle, start, end);
            while (reader.Next(false, out var header, out _))
            {
                if (header.LastOffset >= minOffset && header.MaxTimestamp >= timestamp)
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

    /// <summary>Renames the three files to base name + suffix (".deleted", ".swap", "" ...).</summary>
    public void ChangeSuffix(string suffix)
    {
        var stem = Path.Combine(Directory, FileStem(BaseOffset));
        try
        {
            var newLog = stem + LogSuffix + suffix;
            System.IO.File.Move(File.Path, newLog, overwrite: true);
            File.Path = newLog;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot rename {File.Path}: {e.Message}", e);
        }

        OffsetIndex.RenameTo(stem + IndexSuffix + suffix);
        TimeIndex.RenameTo(stem + TimeIndexSuffix + suffix);
    }

    /// <summary>Deletes the files; a read still holding the handle finishes (Linux keeps unlinked files readable).</summary>
    public void DeleteFiles()
    {
        _active = false;
        _writeHandle = null;
        try
        {
            System.IO.File.Delete(File.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot delete {File.Path}: {e.Message}", e);
        }

        File.Cache.Close(File, deleted: true);
        OffsetIndex.DeleteFile();
        TimeIndex.DeleteFile();
    }

    private void RebuildIndexes(long size)
    {
        ResetIndexState();
        var handle = File.Acquire();
        try
        {
            using var reader = new BatchReader(handle, 0, size);
            while (reader.Next(false, out var header, out _))
            {
                IndexBatch((int)reader.Position, header.LastOffset, header.MaxTimestamp, header.TotalSize);
                reader.Advance(header);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot read {File.Path} to rebuild its indexes: {e.Message}", e);
        }
        finally
        {
            File.Release();
        }

        if (!_active && MaxTimestampSoFar >= 0)
        {
            TimeIndex.MaybeAppend(MaxTimestampSoFar, OffsetOfMaxTimestampSoFar);
        }

        OffsetIndex.Flush(durable: false);
        TimeIndex.Flush(durable: false);
    }

    private void ResetIndexState()
    {
        OffsetIndex.Reset();
        TimeIndex.Reset();
        MaxTimestampSoFar = -1;
        OffsetOfMaxTimestampSoFar = -1;
        _bytesSinceLastIndexEntry = 0;
    }

    private void SetFileLength(long length)
    {
        _dirty = true;
        try
        {
            if (_writeHandle is not null)
            {
                RandomAccess.SetLength(_writeHandle, length);
                return;
            }

            using SafeFileHandle h = System.IO.File.OpenHandle(File.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.SetLength(h, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaStorageException($"Cannot truncate {File.Path}: {e.Message}", e);
        }
    }
}
