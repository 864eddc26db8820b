using System.Globalization;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage.Io;
using KafkaOperator.Storage.Producers;
using KafkaOperator.Storage.Segments;

namespace KafkaOperator.Storage;

/// <summary>
/// Loading a partition directory: leftover cleanup (including snapshot temp files), swap completion, recovery, and
/// the producer state rebuild from the newest usable snapshot.
/// </summary>
public sealed partial class PartitionLog
{
    private void Load(bool hadCleanShutdown, long recoveryPoint, long logStartOffset, long highWatermark, SegmentFiles? listed = null)
    {
        lock (_lock)
        {
            var epochFileExists = true;
            try
            {
                // One listing of the directory serves every step below; only a crash in the middle of a swap (rare)
                // changes the files and lists them again.
                var files = listed ?? SegmentFiles.List(Directory);
                epochFileExists = files.HasEpochCheckpoint;
                RemoveLeftovers(files, hadCleanShutdown);
                if (files.Swaps.Count > 0)
                {
                    CompleteSwaps(files.Swaps);
                    files = SegmentFiles.List(Directory);
                }

                foreach (var baseOffset in files.Logs)
                {
                    _segments.Add(LogSegment.Open(Directory, baseOffset, Config, _options.Handles, create: false, listed: files));
                }

                _snapshotOffsets.AddRange(files.Snapshots);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KafkaStorageException($"Cannot load {Directory}: {e.Message}", e);
            }

            if (_segments.Count == 0)
            {
                var start = Math.Max(0, logStartOffset);
                _segments.Add(LogSegment.Open(Directory, start, Config, _options.Handles, create: true));
            }

            if (_segments is [{ BaseOffset: 0, Size: 0 }])
            {
                EpochCache.SkipFileOfEmptyLog(epochFileExists);
            }
            else
            {
                EpochCache.ReadFile();
            }

            var recovered = hadCleanShutdown ? false : RecoverFrom(recoveryPoint);
            var active = _segments[^1];
            active.Activate();
            if (!active.LoadTail())
            {
                RecoverFrom(active.BaseOffset);
                recovered = true;
                _ = active.LoadTail();
            }

            var leo = active.Size == 0 ? Math.Max(active.BaseOffset, active.NextOffset) : active.NextOffset;
            var lso = Math.Clamp(Math.Max(logStartOffset, _segments[0].BaseOffset), 0, leo);
            if (!hadCleanShutdown)
            {
                EpochCache.MarkUnsynced();
            }

            // As Kafka's LogLoader: the recovery point moves only when the log is flushed. Setting it to the log end
            // here would need an fsync of every recovered segment and epoch file before the broker is ready (10,000
            // partitions: ten thousand fsyncs in a row); kept, a second crash just examines the same records again.
            _recoveryPoint = hadCleanShutdown && !recovered ? leo : Math.Min(recoveryPoint, leo);
            EpochCache.TruncateForLoad(leo, lso);
            RebuildProducerState(lso, leo);
            PublishSegmentsLocked(leo, lso, highWatermark);
        }
    }

    /// <summary>
    /// Validates the segments from the one holding <paramref name="recoveryPoint"/> on; at the first bad batch the
    /// segment is cut there and every later segment deleted. Returns true when anything was examined.
    /// </summary>
    private bool RecoverFrom(long recoveryPoint)
    {
        var first = _segments.FindLastIndex(s => s.BaseOffset <= recoveryPoint);
        first = Math.Max(first, 0);
        var epochBound = EpochCache.Entries.Count > 0 ? EpochCache.LatestEpoch : int.MaxValue;
        var rebuildEpochs = EpochCache.Entries.Count == 0;
        // The CRC does not cover the base offset and the partition leader epoch, so they are checked for
        // plausibility: offsets follow each other (with gaps only in compacted logs; cleaned segments lie below the
        // recovery point in practice, as the cleaner only takes rolled segments, which are fsynced at the roll), and
        // an epoch is never above the checkpointed latest one (the checkpoint is written before such data).
        var contiguous = !Config.Compact;
        for (var i = first; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            var expected = segment.BaseOffset;
            var cut = segment.Recover(
                h =>
                {
                    var ok = (contiguous ? h.BaseOffset == expected : h.BaseOffset >= expected)
                        && h.PartitionLeaderEpoch >= -1 && h.PartitionLeaderEpoch <= epochBound;
                    if (ok)
                    {
                        expected = h.LastOffset + 1;
                    }

                    return ok;
                },
                h =>
                {
                    if (rebuildEpochs)
                    {
                        EpochCache.Assign(h.PartitionLeaderEpoch, h.BaseOffset);
                    }
                });
            if (cut > 0 && i < _segments.Count - 1)
            {
                foreach (var later in _segments.Skip(i + 1).ToList())
                {
                    later.Close();
                    later.DeleteFiles();
                    _segments.Remove(later);
                }

                break;
            }
        }

        return true;
    }

    /// <summary>
    /// Kafka leaves .cleaned, .deleted and tmp files behind on a crash; none of them holds live data. Index files
    /// whose .log is gone are removed too (a crash between deleting a segment's files) — but not after a clean
    /// shutdown, where every deletion had finished: then the .log vanished while the broker was down, its records
    /// are lost or on a failed disk, and the partition must not silently start without them (KafkaStorageException:
    /// the partition stays offline until the file is back or the index files are removed to accept the loss).
    /// </summary>
    private void RemoveLeftovers(SegmentFiles files, bool hadCleanShutdown)
    {
        foreach (var file in files.Leftovers)
        {
            File.Delete(file);
        }

        // Index files whose log file is gone.
        var logs = new HashSet<long>(files.Logs);
        foreach (var (suffix, indexes) in new[] { (LogSegment.IndexSuffix, files.Indexes), (LogSegment.TimeIndexSuffix, files.TimeIndexes) })
        {
            foreach (var b in indexes.Where(b => !logs.Contains(b)))
            {
                var path = Path.Combine(Directory, LogSegment.FileStem(b) + suffix);
                if (hadCleanShutdown)
                {
                    throw new KafkaStorageException($"Segment file {Path.Combine(Directory, LogSegment.FileStem(b) + LogSegment.LogSuffix)} is missing " +
                        $"after a clean shutdown, but its index {Path.GetFileName(path)} is there: the records from offset {b} are lost or on a failed disk. " +
                        "Restore the file, or delete the segment's index files to accept the loss.");
                }

                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// A .swap file is a cleaned segment that replaced the segments it covers (rename then delete). Finishing the
    /// swap after a crash: delete the old segments in its offset range, then rename it to .log.
    /// </summary>
    private void CompleteSwaps(List<long> swaps)
    {
        foreach (var baseOffset in swaps)
        {
            var swap = LogSegment.Open(Directory, baseOffset, Config, _options.Handles, create: false, LogSegment.SwapSuffix);
            _ = swap.LoadTail();
            var end = swap.NextOffset;
            swap.Close();
            foreach (var old in ListBaseOffsets(LogSegment.LogSuffix).Where(b => b >= baseOffset && b < end))
            {
                foreach (var suffix in new[] { LogSegment.LogSuffix, LogSegment.IndexSuffix, LogSegment.TimeIndexSuffix })
                {
                    File.Delete(Path.Combine(Directory, LogSegment.FileStem(old) + suffix));
                }
            }

            swap.ChangeSuffix("");
        }
    }

    private IEnumerable<long> ListBaseOffsets(string suffix)
    {
        var result = new List<long>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + suffix))
        {
            var name = Path.GetFileName(file);
            if (name.Length == 20 + suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal)
                && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                result.Add(b);
            }
        }

        result.Sort();
        return result;
    }
}
