using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>
/// Producer state snapshots (Kafka's `&lt;offset&gt;.snapshot`, format in <see cref="ProducerSnapshotFile"/>): written
/// at each roll (at the new segment's base) and at a clean close (at the log end), so that loading and truncation
/// start from the newest snapshot they can use and scan only the log after it.
/// </summary>
public sealed partial class PartitionLog
{
    /// <summary>
    /// Snapshots kept: besides the newest, older ones serve a truncation below it, a crash that loses the newest
    /// one's file, or a recovery that cuts the log below it.
    /// </summary>
    internal const int ProducerSnapshotsToRetain = 3;

    private readonly List<long> _snapshotOffsets = [];

    /// <summary>Offsets of the snapshot files, oldest first (tests).</summary>
    internal IReadOnlyList<long> ProducerSnapshotOffsets
    {
        get
        {
            lock (_lock)
            {
                return [.. _snapshotOffsets];
            }
        }
    }

    /// <summary>How the producer state was last rebuilt (load or truncation), for tests.</summary>
    internal ProducerStateRebuild LastProducerStateRebuild { get; private set; }

    private string SnapshotPath(long offset) => ProducerSnapshotFile.PathFor(Directory, offset);

    /// <summary>
    /// Writes the current state as the snapshot at <paramref name="offset"/> (the log end offset) and keeps the
    /// newest <see cref="ProducerSnapshotsToRetain"/>. A failed write only costs a longer scan at the next load, so
    /// it is a warning, never a failed roll or close. False when nothing was written.
    /// </summary>
    private bool TakeProducerSnapshotLocked(long offset, bool durable)
    {
        try
        {
            ProducerSnapshotFile.Write(SnapshotPath(offset), _producers.ToSnapshot(), durable);
        }
        catch (KafkaStorageException e)
        {
            Warn($"cannot write the producer state snapshot at offset {offset} (the next load scans more of the log): {e.Message}");
            return false;
        }

        var at = _snapshotOffsets.BinarySearch(offset);
        if (at < 0)
        {
            _snapshotOffsets.Insert(~at, offset);
        }

        if (_snapshotOffsets.Count > ProducerSnapshotsToRetain)
        {
            var oldestKept = _snapshotOffsets[^ProducerSnapshotsToRetain];
            DeleteProducerSnapshotsLocked(o => o < oldestKept, strict: false);
        }

        return true;
    }

    /// <summary>
    /// Deletes the snapshots <paramref name="predicate"/> selects. <paramref name="strict"/> is for snapshots that
    /// would be wrong to use (above a truncation point): a failure throws and success is made durable, or a crash
    /// could bring back the state of a history the log no longer has. Otherwise a failure is a warning and the file
    /// is tried again next time.
    /// </summary>
    private void DeleteProducerSnapshotsLocked(Func<long, bool> predicate, bool strict)
    {
        var deleted = false;
        foreach (var offset in _snapshotOffsets.Where(predicate).ToList())
        {
            var path = SnapshotPath(offset);
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (strict)
                {
                    throw new KafkaStorageException($"Cannot delete {path}: {e.Message}", e);
                }

                Warn($"cannot delete the producer state snapshot {path}: {e.Message}");
                continue;
            }

            _snapshotOffsets.Remove(offset);
            deleted = true;
        }

        if (strict && deleted)
        {
            NativeFile.FsyncDirectory(Directory);
        }
    }

    /// <summary>
    /// Rebuilds the producer state of the log [<paramref name="logStart"/>, <paramref name="logEnd"/>): from the
    /// newest snapshot in that range whose file reads back (a bad one is logged, deleted and the next older one
    /// tried), then the batches after it. Snapshots above the log end describe a history that recovery or
    /// truncation cut off, those below the log start only deleted records: both are deleted.
    /// </summary>
    private void RebuildProducerState(long logStart, long logEnd)
    {
        DeleteProducerSnapshotsLocked(o => o > logEnd, strict: true);
        DeleteProducerSnapshotsLocked(o => o < logStart, strict: false);
        foreach (var offset in Enumerable.Reverse(_snapshotOffsets.ToList()))
        {
            var path = SnapshotPath(offset);
            if (ProducerSnapshotFile.TryRead(path, out var entries, out var error))
            {
                _producers.Load(entries, _options.NowMs, _options.ProducerIdExpirationMs);
                LastProducerStateRebuild = new ProducerStateRebuild(offset, offset, ScanProducerState(offset, logEnd, skipExpired: false));
                return;
            }

            Warn($"ignoring the producer state snapshot {path} ({error}); trying an older one or scanning the log");
            DeleteProducerSnapshotsLocked(o => o == offset, strict: false);
        }

        _producers.Clear();
        LastProducerStateRebuild = new ProducerStateRebuild(null, logStart, ScanProducerState(logStart, logEnd, skipExpired: true));
    }

    /// <summary>
    /// Applies the batches from <paramref name="from"/> to the log end to the producer state; returns how many
    /// batches were read. Without a snapshot, segments whose newest batch is older than producer.id.expiration.ms
    /// are skipped: their producers would expire anyway. After a snapshot nothing is skipped, as its entries may
    /// be older than the batches that follow (an append's time is the broker's, a batch's timestamp the client's).
    /// </summary>
    private int ScanProducerState(long from, long logEnd, bool skipExpired)
    {
        if (from >= logEnd)
        {
            return 0;
        }

        var horizon = _options.NowMs - _options.ProducerIdExpirationMs;
        var first = Math.Max(0, _segments.FindLastIndex(s => s.BaseOffset <= from));
        var scanned = 0;
        for (var i = first; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            if (skipExpired && i < _segments.Count - 1 && segment.LargestTimestamp() < horizon)
            {
                continue;
            }

            long start = 0;
            if (from > segment.BaseOffset)
            {
                if (segment.TranslateOffset(from, segment.Size) is not { } found)
                {
                    continue;
                }

                start = found.Position;
            }

            var handle = segment.File.Acquire();
            try
            {
                using var reader = new BatchReader(handle, start, segment.Size);
                while (reader.Next(false, out var h, out _))
                {
                    scanned++;
                    if (h.LastOffset >= from && h.HasProducerId)
                    {
                        _producers.Update(h, h.MaxTimestamp);
                    }

                    reader.Advance(h);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot read {segment.File.Path}: {e.Message}", e);
            }
            finally
            {
                segment.File.Release();
            }
        }

        return scanned;
    }

    /// <summary>Makes the snapshot a roll wrote durable (after the rolled segment's flush, as Kafka does).</summary>
    private void SyncProducerSnapshot(long offset) => _ = ProducerSnapshotFile.Sync(SnapshotPath(offset));

    private void Warn(string message) => _options.Warn?.Invoke($"[{Topic}-{Partition}] {message}");
}

/// <summary>
/// How producer state was rebuilt: from the snapshot at <paramref name="SnapshotOffset"/> (null: none usable), then
/// <paramref name="BatchesScanned"/> batches read from <paramref name="ScanFrom"/> on.
/// </summary>
internal readonly record struct ProducerStateRebuild(long? SnapshotOffset, long ScanFrom, int BatchesScanned);
