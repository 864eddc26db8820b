using System.Globalization;

namespace KafkaOperator.Storage.Checkpoints;

// Exception policy: Assign/Truncate* throw KafkaStorageException when the checkpoint cannot be written; lookups
// never throw and answer (-1, -1) for an unknown epoch as Kafka does.

/// <summary>
/// Leader epoch → start offset history of a partition, persisted to `leader-epoch-checkpoint` on every change
/// (before the data with the new epoch is appended, so recovery can trust it). Thread-safe.
/// A new epoch is written without fsync (as Kafka since KAFKA-15046): a replica taking over a thousand leaderships
/// would otherwise pay two fsyncs each, in a row. The log makes the file durable (<see cref="Sync"/>) before its
/// recovery point passes data of that epoch, so the records recovery trusts without looking never outrun the
/// durable file; a power loss may only lose entries of unflushed records, which recovery examines. Truncations
/// stay durable at once, as Kafka's writes for truncation do, except those of loading (<see cref="TruncateForLoad"/>).
/// </summary>
public sealed class LeaderEpochCache
{
    public const string FileName = "leader-epoch-checkpoint";
    private readonly object _lock = new();
    private readonly string _dir;
    private readonly List<(int Epoch, long StartOffset)> _entries = [];
    private bool _dirty;

    /// <summary>An empty cache for the partition directory; <see cref="ReadFile"/> loads what the file holds.</summary>
    public LeaderEpochCache(string partitionDir)
    {
        _dir = partitionDir;
    }

    // Made when used: one path fewer kept per loaded log (100,000 of them).
    private string FilePath => Path.Combine(_dir, FileName);

    /// <summary>Loads the entries of the file (none when it is missing); a malformed file throws KafkaStorageException.</summary>
    public void ReadFile()
    {
        lock (_lock)
        {
            _entries.Clear();
            foreach (var f in CheckpointFile.Read(FilePath, 2) ?? [])
            {
                if (int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch)
                    && long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset)
                    && (_entries.Count == 0 || (epoch > _entries[^1].Epoch && offset >= _entries[^1].StartOffset)))
                {
                    _entries.Add((epoch, offset));
                }
            }
        }
    }

    /// <summary>
    /// Loading a log that is empty at offset 0: <see cref="TruncateForLoad"/> would drop every entry the file can
    /// hold (each starts at an offset &gt;= 0), so the file is not read. An existing file is rewritten (empty) by the
    /// next <see cref="Sync"/> or new epoch, as after that truncation. Spares an idle partition's start-up the
    /// open, read and close of its checkpoint: 100,000 partitions, most of them idle, paid 300,000 system calls.
    /// </summary>
    public void SkipFileOfEmptyLog(bool fileExists)
    {
        lock (_lock)
        {
            _entries.Clear();
            _dirty |= fileExists;
        }
    }

    public int LatestEpoch
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 ? -1 : _entries[^1].Epoch;
            }
        }
    }

    public IReadOnlyList<(int Epoch, long StartOffset)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/> (ignored unless newer).</summary>
    public void Assign(int epoch, long startOffset)
    {
        if (epoch < 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Count > 0 && (epoch <= _entries[^1].Epoch || startOffset < _entries[^1].StartOffset))
            {
                return;
            }

            _entries.Add((epoch, startOffset));
            Persist(durable: false);
        }
    }

    /// <summary>Makes the file durable if an assignment since the last durable write was not.</summary>
    public void Sync()
    {
        lock (_lock)
        {
            if (_dirty)
            {
                Persist();
            }
        }
    }

    /// <summary>
    /// After a crash the file read back may have come from the page cache, not the disk: the next <see cref="Sync"/>
    /// (before the recovery point passes any data) writes it durably.
    /// </summary>
    public void MarkUnsynced()
    {
        lock (_lock)
        {
            _dirty = true;
        }
    }

    /// <summary>Kafka's endOffsetFor: (largest epoch &lt;= requested, start offset of the next epoch or LEO).</summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        lock (_lock)
        {
            if (requestedEpoch < 0 || _entries.Count == 0)
            {
                return (-1, -1);
            }

            if (requestedEpoch == _entries[^1].Epoch)
            {
                return (requestedEpoch, logEndOffset);
            }

            var higher = _entries.FindIndex(e => e.Epoch > requestedEpoch);
            if (higher < 0)
            {
                return (-1, -1);
            }

            return higher == 0 ? (requestedEpoch, _entries[0].StartOffset) : (_entries[higher - 1].Epoch, _entries[higher].StartOffset);
        }
    }

    /// <summary>Drops epochs starting at or after <paramref name="endOffset"/> (log truncated to it).</summary>
    public void TruncateFromEnd(long endOffset)
    {
        lock (_lock)
        {
            var n = _entries.RemoveAll(e => e.StartOffset >= endOffset);
            if (n > 0)
            {
                Persist();
            }
        }
    }

    /// <summary>Log start moved to <paramref name="startOffset"/>: the epoch covering it now starts there.</summary>
    public void TruncateFromStart(long startOffset)
    {
        lock (_lock)
        {
            if (TruncateFromStartLocked(startOffset))
            {
                Persist();
            }
        }
    }

    /// <summary>
    /// The truncations of a log being loaded (to its end and its start, as found on disk), in memory only: the file
    /// is written (durably) by the next <see cref="Sync"/>, before the recovery point passes any data, or with the
    /// next new epoch. As Kafka's LogLoader, whose truncation on load is flushed asynchronously: entries the file
    /// still holds after a crash are dropped again by the next load, which finds the same or a shorter log, and an
    /// extra entry at the end only widens recovery's epoch bound to what it was before. Written at once, an empty
    /// partition that once led (its epoch starts at its end offset, 0) paid a file write with two fsyncs at every
    /// start: 10,000 partitions spent most of their start-up there.
    /// </summary>
    public void TruncateForLoad(long logEndOffset, long logStartOffset)
    {
        lock (_lock)
        {
            var changed = _entries.RemoveAll(e => e.StartOffset >= logEndOffset) > 0;
            changed |= TruncateFromStartLocked(logStartOffset);
            if (changed)
            {
                _dirty = true;
            }
        }
    }

    private bool TruncateFromStartLocked(long startOffset)
    {
        var last = _entries.FindLastIndex(e => e.StartOffset <= startOffset);
        if (last < 0 || (last == 0 && _entries[0].StartOffset == startOffset))
        {
            return false;
        }

        var epoch = _entries[last].Epoch;
        _entries.RemoveRange(0, last + 1);
        _entries.Insert(0, (epoch, startOffset));
        return true;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            Persist();
        }
    }

    private void Persist(bool durable = true)
    {
        CheckpointFile.Write(FilePath, _entries.Select(e => new[]
        {
            e.Epoch.ToString(CultureInfo.InvariantCulture), e.StartOffset.ToString(CultureInfo.InvariantCulture),
        }).ToList(), durable);
        _dirty = !durable;
    }
}
