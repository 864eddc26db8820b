using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Storage.Producers;

// Exception policy: nothing throws; validation outcomes are ErrorCode values.

/// <summary>
/// Idempotent-producer state of one partition, Kafka's rules:
/// - a batch whose producer epoch is older than the known one → InvalidProducerEpoch;
/// - same epoch, (firstSeq, lastSeq) equal to one of the last 5 batches → duplicate: the original offsets are
///   returned and nothing is appended;
/// - same epoch, firstSeq != lastSeq + 1 (with the int wrap) → OutOfOrderSequenceNumber;
/// - a newer epoch must start at sequence 0, except for a producer this partition has no entry for (new, or its
///   state was lost to retention/DeleteRecords), which is accepted at any sequence, as Kafka 2.5+ does.
/// Batches without a producer id are not tracked. Not thread-safe: the owning PartitionLog holds its lock.
/// </summary>
internal sealed class ProducerStateManager
{
    public const int BatchesToRetain = 5;
    private readonly Dictionary<long, ProducerEntry> _producers = [];

    public int Count => _producers.Count;

    /// <summary>
    /// Checks one batch against the state plus <paramref name="staged"/> (earlier batches of the same append).
    /// Returns None, or the error; a duplicate sets <paramref name="duplicate"/>.
    /// </summary>
    public ErrorCode Check(in RecordBatchHeader batch, List<(long Pid, BatchMetadata Meta, short Epoch)> staged, out BatchMetadata? duplicate)
    {
        duplicate = null;
        if (!batch.HasProducerId || batch.BaseSequence < 0)
        {
            return ErrorCode.None;
        }

        short epoch;
        int lastSeq;
        bool known;
        var pid = batch.ProducerId;
        var stagedIndex = staged.FindLastIndex(s => s.Pid == pid);
        if (stagedIndex >= 0)
        {
            (epoch, lastSeq, known) = (staged[stagedIndex].Epoch, staged[stagedIndex].Meta.LastSeq, true);
        }
        else if (_producers.TryGetValue(batch.ProducerId, out var entry))
        {
            if (batch.ProducerEpoch == entry.Epoch && entry.FindDuplicate(batch.BaseSequence, batch.LastSequence) is { } dup)
            {
                duplicate = dup;
                return ErrorCode.None;
            }

            (epoch, lastSeq, known) = (entry.Epoch, entry.Count == 0 ? -1 : entry.Last.LastSeq, entry.Count > 0);
        }
        else
        {
            return ErrorCode.None;
        }

        if (batch.ProducerEpoch < epoch)
        {
            return ErrorCode.InvalidProducerEpoch;
        }

        if (batch.ProducerEpoch > epoch)
        {
            return batch.BaseSequence == 0 || !known ? ErrorCode.None : ErrorCode.OutOfOrderSequenceNumber;
        }

        if (known && !InSequence(lastSeq, batch.BaseSequence))
        {
            return ErrorCode.OutOfOrderSequenceNumber;
        }

        return ErrorCode.None;
    }

    /// <summary>Records an appended batch (its offsets final). Also used to rebuild the state from the log.</summary>
    public void Update(in RecordBatchHeader batch, long lastTimestampMs)
    {
        if (!batch.HasProducerId)
        {
            return;
        }

        if (!_producers.TryGetValue(batch.ProducerId, out var entry))
        {
            entry = new ProducerEntry { Epoch = batch.ProducerEpoch };
            _producers[batch.ProducerId] = entry;
        }

        if (batch.ProducerEpoch != entry.Epoch)
        {
            entry.Epoch = batch.ProducerEpoch;
            entry.Clear();
        }

        entry.LastTimestamp = lastTimestampMs;
        if (batch.BaseSequence >= 0)
        {
            entry.Add(new BatchMetadata(batch.BaseSequence, batch.LastSequence, batch.BaseOffset, batch.LastOffset));
        }
    }

    public void Clear() => _producers.Clear();

    /// <summary>Every producer's state, for a snapshot file.</summary>
    public List<ProducerSnapshotEntry> ToSnapshot() =>
        [.. _producers.Select(p => new ProducerSnapshotEntry(p.Key, p.Value.Epoch, p.Value.CoordinatorEpoch, p.Value.LastTimestamp, p.Value.Batches()))];

    /// <summary>
    /// Replaces the state with a snapshot's, without the producers idle longer than producer.id.expiration.ms
    /// (the retention pass would forget them anyway; Kafka drops them when loading too).
    /// </summary>
    public void Load(IEnumerable<ProducerSnapshotEntry> entries, long nowMs, long expirationMs)
    {
        _producers.Clear();
        foreach (var e in entries)
        {
            if (nowMs - e.LastTimestamp > expirationMs)
            {
                continue;
            }

            var entry = new ProducerEntry { Epoch = e.Epoch, CoordinatorEpoch = e.CoordinatorEpoch, LastTimestamp = e.LastTimestamp };
            foreach (var b in e.Batches)
            {
                entry.Add(b);
            }

            _producers[e.ProducerId] = entry;
        }
    }

    /// <summary>producer id → offset of its last batch (the cleaner keeps that batch even when emptied).</summary>
    public Dictionary<long, long> LastOffsets() =>
        _producers.Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => p.Value.Last.LastOffset);

    /// <summary>Forgets producers idle longer than producer.id.expiration.ms.</summary>
    public int RemoveExpired(long nowMs, long expirationMs)
    {
        var expired = _producers.Where(p => nowMs - p.Value.LastTimestamp > expirationMs).Select(p => p.Key).ToList();
        foreach (var pid in expired)
        {
            _producers.Remove(pid);
        }

        return expired.Count;
    }

    /// <summary>Last known (epoch, last sequence) of a producer, for tests and DescribeProducers.</summary>
    public (short Epoch, int LastSequence, long LastOffset)? Get(long producerId) =>
        _producers.TryGetValue(producerId, out var e) ? (e.Epoch, e.Count == 0 ? -1 : e.Last.LastSeq, e.Count == 0 ? -1 : e.Last.LastOffset) : null;

    private static bool InSequence(int lastSeq, int nextSeq) =>
        nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == int.MaxValue);

    private sealed class ProducerEntry
    {
        private readonly BatchMetadata[] _ring = new BatchMetadata[BatchesToRetain];
        private int _next;

        public short Epoch { get; set; }

        public long LastTimestamp { get; set; }

        /// <summary>Kept for the snapshot format (transaction markers set it in Kafka); -1 until they exist here.</summary>
        public int CoordinatorEpoch { get; set; } = -1;

        public int Count { get; private set; }

        public BatchMetadata Last => _ring[(_next + BatchesToRetain - 1) % BatchesToRetain];

        public void Add(BatchMetadata meta)
        {
            _ring[_next] = meta;
            _next = (_next + 1) % BatchesToRetain;
            Count = Math.Min(Count + 1, BatchesToRetain);
        }

        public void Clear()
        {
            Count = 0;
            _next = 0;
        }

        /// <summary>The retained batches, oldest first.</summary>
        public BatchMetadata[] Batches()
        {
            var result = new BatchMetadata[Count];
            for (var i = 0; i < Count; i++)
            {
                result[i] = _ring[(_next + BatchesToRetain - Count + i) % BatchesToRetain];
            }

            return result;
        }

        public BatchMetadata? FindDuplicate(int firstSeq, int lastSeq)
        {
            for (var i = 0; i < Count; i++)
            {
                var m = _ring[(_next + BatchesToRetain - 1 - i) % BatchesToRetain];
                if (m.FirstSeq == firstSeq && m.LastSeq == lastSeq)
                {
                    return m;
                }
            }

            return null;
        }
    }
}

/// <summary>Sequence range and offsets of one appended batch of an idempotent producer.</summary>
internal readonly record struct BatchMetadata(int FirstSeq, int LastSeq, long FirstOffset, long LastOffset);
