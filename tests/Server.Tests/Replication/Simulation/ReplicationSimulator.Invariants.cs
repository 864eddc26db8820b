using System.Buffers.Binary;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// The invariants, checked after every event: every record below any replica's HW (or acknowledged with acks=all,
/// or read by a consumer) is the one record that offset holds for good (the committed prefix: replicas agree below
/// the HW, and nothing committed is lost or replaced); a leader's epoch and HW never go back; one leader per
/// leader epoch; ISRs hold their leader and only assigned replicas. After healing: convergence (<see cref="Converged"/>).
/// </summary>
internal sealed partial class ReplicationSimulator
{
    private readonly Dictionary<(int Partition, long Offset), (BatchInfo Batch, string Source)> _committed = [];
    private readonly Dictionary<(int Partition, int Epoch), int> _leaderOfEpoch = [];
    private long _checkedControllerOffset = -1;

    public int CommittedOffsets => _committed.Count;

    private void AfterStep()
    {
        ResolvePending();
        CheckInvariants();
    }

    public static void Require(bool condition, string message)
    {
        if (!condition)
            throw new SimulationFailure(message);
    }

    private void CheckInvariants()
    {
        foreach (var b in Brokers)
        {
            if (!b.Alive)
                continue;
            foreach (var r in b.Replicas)
            {
                var partition = r.Partition;
                var epoch = partition.LeaderEpoch;
                Require(epoch >= r.SeenEpoch, $"{r}: leader epoch went back from {r.SeenEpoch} to {epoch}");
                r.SeenEpoch = epoch;
                if (partition.IsLeader)
                {
                    if (_leaderOfEpoch.TryGetValue((r.Index, epoch), out var other))
                        Require(other == b.Id, $"p{r.Index}: two leaders in epoch {epoch}: brokers {other} and {b.Id}");
                    else
                        _leaderOfEpoch[(r.Index, epoch)] = b.Id;
                    var hw = partition.HighWatermark;
                    if (r.SeenLeaderEpoch == epoch)
                        Require(hw >= r.SeenLeaderHighWatermark, $"{r}: leader HW went back from {r.SeenLeaderHighWatermark} to {hw} in epoch {epoch}");
                    r.SeenLeaderEpoch = epoch;
                    r.SeenLeaderHighWatermark = hw;
                    var isr = partition.Role.Isr;
                    var replicas = Setup.ReplicasOf(r.Index);
                    Require(Array.IndexOf(isr, b.Id) >= 0 && isr.All(x => Array.IndexOf(replicas, x) >= 0) && isr.Distinct().Count() == isr.Length,
                        $"{r}: leader's ISR [{string.Join(',', isr)}] lacks the leader or holds an unassigned replica");
                }
                Observe(r);
            }
        }
        if (Controller.Offset != _checkedControllerOffset)
        {
            _checkedControllerOffset = Controller.Offset;
            foreach (var p in Controller.Image.Topic(TopicId)!.Partitions)
            {
                Require(p.Isr.Length > 0 && p.Isr.All(x => Array.IndexOf(p.Replicas, x) >= 0) && p.Isr.Distinct().Count() == p.Isr.Length
                    && (p.Leader < 0 || Array.IndexOf(p.Isr, p.Leader) >= 0),
                    $"committed metadata of p{p.Partition}: leader {p.Leader}, ISR [{string.Join(',', p.Isr)}]");
            }
        }
    }

    /// <summary>Reads what the replica appended since the last look, and checks what its HW newly covers.</summary>
    private void Observe(SimReplica r)
    {
        var log = r.Partition.Log;
        var end = log.LogEndOffset;
        if (end < r.CachedEnd)
        {
            r.Batches.RemoveAll(x => x.LastOffset >= end);
            r.CachedEnd = r.Batches.Count == 0 ? log.LogStartOffset : r.Batches[^1].LastOffset + 1;
        }
        if (r.CachedEnd < 0)
            r.CachedEnd = log.LogStartOffset;
        if (end > r.CachedEnd)
        {
            foreach (var batch in ReadBatches(log, r.CachedEnd, end))
            {
                Require(batch.BaseOffset == r.CachedEnd, $"{r}: batch {batch} follows offset {r.CachedEnd - 1} (a gap or an overlap in the log)");
                r.Batches.Add(batch);
                r.CachedEnd = batch.LastOffset + 1;
            }
            Require(r.CachedEnd == end, $"{r}: batches end at {r.CachedEnd}, the log at {end}");
        }
        var hw = log.HighWatermark;
        if (hw > r.CheckedHighWatermark)
        {
            for (var i = r.Batches.Count - 1; i >= 0 && r.Batches[i].LastOffset >= r.CheckedHighWatermark; i--)
            {
                if (r.Batches[i].BaseOffset < hw)
                    ObserveCommitted(r.Index, r.Batches[i], $"{r} below its HW {hw}");
            }
        }
        r.CheckedHighWatermark = hw;
    }

    private void ResetObservations(SimReplica r)
    {
        r.Batches.Clear();
        r.CachedEnd = -1;
        r.CheckedHighWatermark = 0;
        r.SeenEpoch = -1;
        r.SeenLeaderEpoch = -1;
        r.SeenLeaderHighWatermark = -1;
    }

    /// <summary>The committed prefix: an offset, once committed anywhere, holds that batch everywhere it is committed.</summary>
    private void ObserveCommitted(int partition, BatchInfo batch, string source)
    {
        for (var o = batch.BaseOffset; o <= batch.LastOffset; o++)
        {
            if (_committed.TryGetValue((partition, o), out var known))
            {
                Require(known.Batch == batch, $"p{partition} offset {o}: {source} holds {batch}, but {known.Source} had {known.Batch} there (committed)");
            }
            else
            {
                _committed[(partition, o)] = (batch, source);
            }
        }
    }

    private static IEnumerable<BatchInfo> ReadBatches(PartitionLog log, long from, long to)
    {
        var position = from;
        while (position < to)
        {
            var read = log.Read(position, int.MaxValue, long.MaxValue, minOneBatch: true);
            if (read.Error != KafkaOperator.Protocol.ErrorCode.None || read.Records.SizeInBytes == 0)
                yield break;
            var advanced = false;
            foreach (var batch in ParseBatches(ReplicaFetchPath.Copy(read.Records)))
            {
                if (batch.LastOffset < position || batch.BaseOffset >= to)
                    continue;
                yield return batch;
                position = batch.LastOffset + 1;
                advanced = true;
            }
            if (!advanced)
                yield break;
        }
    }

    private static List<BatchInfo> ParseBatches(byte[] bytes)
    {
        var result = new List<BatchInfo>();
        var position = 0;
        while (bytes.Length - position >= RecordBatchHeader.Size)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8)) + RecordBatchHeader.LogOverhead;
            if (size > bytes.Length - position)
                break;
            var h = RecordBatchHeader.Read(bytes.AsSpan(position));
            var stamp = h.BaseTimestamp - TimestampBase;
            result.Add(new BatchInfo(h.BaseOffset, h.LastOffset, h.PartitionLeaderEpoch, h.Crc, stamp >= 0 && stamp % 8 == 0 ? stamp / 8 : -1));
            position += size;
        }
        return result;
    }

    /// <summary>Everything healed and settled: leaders everywhere, full ISRs, equal logs, HW = LEO, metadata applied everywhere.</summary>
    public bool Converged()
    {
        if (Brokers.Any(b => !b.Alive || b.ShuttingDown || b.BrokerEpoch < 0 || b.ImageOffset != Controller.Offset))
            return false;
        var image = Controller.Image;
        if (image.Brokers.Values.Any(b => b.Fenced))
            return false;
        foreach (var meta in image.Topic(TopicId)!.Partitions)
        {
            if (meta.Leader < 0 || meta.Isr.Length != meta.Replicas.Length)
                return false;
            var replicas = meta.Replicas.Select(id => Broker(id).Replicas.First(r => r.Index == meta.Partition)).ToList();
            var leader = replicas.First(r => r.Broker.Id == meta.Leader).Partition;
            if (!leader.IsLeader || leader.PendingIsr is not null || leader.Role.Isr.Length != meta.Replicas.Length)
                return false;
            if (replicas.Any(r => r.Partition.LogEndOffset != leader.LogEndOffset || r.Partition.HighWatermark != r.Partition.LogEndOffset))
                return false;
        }
        return true;
    }

    /// <summary>After convergence: identical logs, every acks=all record and every committed offset still there, unchanged.</summary>
    public void CheckFinalState()
    {
        for (var p = 0; p < Setup.Partitions; p++)
        {
            var replicas = Setup.ReplicasOf(p).Select(id => Broker(id).Replicas.First(r => r.Index == p)).ToList();
            var reference = replicas[0];
            foreach (var r in replicas.Skip(1))
                Require(r.Batches.SequenceEqual(reference.Batches), $"p{p}: {r} and {reference} differ after convergence:{Environment.NewLine}{Describe(r)}{Environment.NewLine}{Describe(reference)}");
            var final = reference.Batches.ToDictionary(x => x.BaseOffset);
            foreach (var acked in AckedAll.Where(a => a.Partition == p))
            {
                Require(final.TryGetValue(acked.Batch.BaseOffset, out var there) && there == acked.Batch,
                    $"p{p}: acks=all produce #{acked.Id} (acknowledged at t={acked.AtMs} as {acked.Batch}) is lost: the log holds {(final.TryGetValue(acked.Batch.BaseOffset, out var x) ? x.ToString() : "nothing")} there");
            }
            foreach (var ((partition, offset), (batch, source)) in _committed.Where(c => c.Key.Partition == p))
            {
                var held = reference.Batches.FirstOrDefault(x => x.BaseOffset <= offset && offset <= x.LastOffset);
                Require(held == batch, $"p{p} offset {offset}: committed as {batch} ({source}) but the converged log holds {held}");
            }
        }
    }

    private static string Describe(SimReplica r) => $"{r}: {string.Join(' ', r.Batches)}";
}

/// <summary>An invariant broke: the message says which, the simulator adds the seed and the recent trace.</summary>
internal sealed class SimulationFailure(string message) : Exception(message);
