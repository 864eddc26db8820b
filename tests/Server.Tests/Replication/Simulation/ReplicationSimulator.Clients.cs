using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// Producers (acks=all and acks=1) and consumers, sending to whichever broker their (possibly stale) metadata
/// names as leader. An acks=all produce waits on the production <see cref="Partition.WaitForHighWatermarkAsync"/>;
/// its outcome is read at the step that decides it, so acknowledgements are as deterministic as the rest.
/// </summary>
internal sealed partial class ReplicationSimulator
{
    /// <summary>Producer stamps: a batch's base timestamp is TimestampBase + 8 × its produce id.</summary>
    private const long TimestampBase = 1_700_000_000_000;

    private readonly List<Pending> _pending = [];
    private readonly CancellationTokenSource _pendingCancel = new();
    private readonly long[] _consumerPosition = new long[8];
    private readonly int[] _consumerEpoch = new int[8];
    private long _lastProduceId;

    public bool Producing { get; set; } = true;

    /// <summary>acks=all records the leader acknowledged: they must never be lost within the failure budget.</summary>
    public List<AckedRecord> AckedAll { get; } = [];

    /// <summary>acks=1 records the leader appended (they may be lost when it fails before the followers copy them).</summary>
    public List<AckedRecord> AckedOne { get; } = [];

    public long Consumed { get; private set; }

    public long Produced => _lastProduceId;

    private sealed record Pending(long Id, SimReplica Replica, int Incarnation, Partition Partition, long EndOffset, long BaseOffset, Task<ErrorCode> Wait, long Deadline);

    /// <summary>A client's metadata: what a live broker told it (maybe stale).</summary>
    private (SimBroker Leader, int Epoch)? LeaderFor(int partition)
    {
        var views = Brokers.Where(b => b.Alive && b.Image is not null).ToList();
        if (views.Count == 0)
            return null;
        var meta = views[Rng.Next(views.Count)].Image!.Topic(TopicId)!.Partitions[partition];
        return meta.Leader < 0 ? null : (Broker(meta.Leader), meta.LeaderEpoch);
    }

    private void Produce()
    {
        if (!Producing)
            return;
        var p = Rng.Next(Setup.Partitions);
        var acks = Rng.Next(10) < 7 ? (short)-1 : (short)1;
        if (LeaderFor(p) is not var (leader, _))
            return;
        var id = ++_lastProduceId;
        var batch = MakeBatch(id, Rng.Next(1, 4));
        At(Now + Rng.Next(1, 6), () => HandleProduce(leader, p, id, acks, batch));
    }

    private static byte[] MakeBatch(long id, int records)
    {
        using var builder = new RecordBatchBuilder();
        for (var i = 0; i < records; i++)
            builder.Add(TimestampBase + (8 * id) + i, BitConverter.GetBytes(id), BitConverter.GetBytes(i));
        return builder.ToArray();
    }

    /// <summary>ProduceHandler for one partition.</summary>
    private void HandleProduce(SimBroker b, int p, long id, short acks, byte[] batch)
    {
        if (!b.Alive || b.Replicas.FirstOrDefault(r => r.Index == p) is not { Partition.IsLeader: true } replica)
            return;
        var partition = replica.Partition;
        var outcome = partition.Append(batch, acks);
        if (outcome.Error != ErrorCode.None)
        {
            Trace($"produce #{id} acks={acks} to {replica}: {outcome.Error}");
            return;
        }
        Trace($"produce #{id} acks={acks} to {replica}: [{outcome.BaseOffset}..{outcome.LastOffset}] in epoch {partition.LeaderEpoch}");
        if (acks == -1 && partition.HighWatermark <= outcome.LastOffset)
        {
            var wait = partition.WaitForHighWatermarkAsync(outcome.LastOffset + 1, int.MaxValue, _pendingCancel.Token);
            _pending.Add(new Pending(id, replica, b.Incarnation, partition, outcome.LastOffset + 1, outcome.BaseOffset, wait, Now + SimTiming.ProduceTimeoutMs));
            return;
        }
        Acknowledge(id, acks, replica, outcome.BaseOffset);
    }

    private void Acknowledge(long id, short acks, SimReplica replica, long baseOffset)
    {
        var log = replica.Partition.Log;
        var batch = ReadBatches(log, baseOffset, baseOffset + 1).FirstOrDefault();
        Require(batch.ProduceId == id && batch.BaseOffset == baseOffset, $"produce #{id} acknowledged at {baseOffset} on {replica}, which holds {batch} there");
        var record = new AckedRecord(id, replica.Index, batch, Now);
        if (acks == -1)
        {
            AckedAll.Add(record);
            ObserveCommitted(replica.Index, batch, $"acks=all produce #{id} acknowledged by {replica}");
        }
        else
        {
            AckedOne.Add(record);
        }
    }

    /// <summary>
    /// Reads the outcome of every acks=all wait the last step decided: the HW reached it or the replica stopped
    /// leading (the partition completes the wait then, under its lock); past the request timeout it failed.
    /// </summary>
    private void ResolvePending()
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            var w = _pending[i];
            var b = w.Replica.Broker;
            var alive = b.Alive && b.Incarnation == w.Incarnation;
            if (alive && (w.Partition.HighWatermark >= w.EndOffset || !w.Partition.IsLeader))
            {
                Require(w.Wait.Wait(TimeSpan.FromSeconds(30)), $"acks=all wait of #{w.Id} on {w.Replica} did not complete although decided");
                var error = w.Wait.Result;
                if (error == ErrorCode.None)
                    Acknowledge(w.Id, -1, w.Replica, w.BaseOffset);
                else
                    Trace($"produce #{w.Id} on {w.Replica}: {error}");
            }
            else if (alive && Now < w.Deadline)
            {
                continue;
            }
            _pending.RemoveAt(i--);
        }
    }

    private void Consume()
    {
        var p = Rng.Next(Setup.Partitions);
        // As Kafka's clients (KIP-320): metadata older than the leader epoch the consumer already read in is ignored.
        if (LeaderFor(p) is not var (leader, epoch) || epoch < _consumerEpoch[p])
            return;
        var position = _consumerPosition[p];
        At(Now + Rng.Next(1, 6), () => HandleConsume(leader, p, epoch, position));
    }

    /// <summary>FetchHandler for a consumer: the leader only, at the epoch the consumer knows, below the HW.</summary>
    private void HandleConsume(SimBroker b, int p, int epoch, long position)
    {
        if (!b.Alive || b.Replicas.FirstOrDefault(r => r.Index == p) is not { Partition.IsLeader: true } replica || replica.Partition.LeaderEpoch != epoch)
            return;
        var partition = replica.Partition;
        var read = partition.Log.Read(position, 4096, partition.HighWatermark, minOneBatch: true);
        Require(read.Error == ErrorCode.None, $"consumer at offset {position} of p{p} got {read.Error} from {replica} (LEO {partition.LogEndOffset}, HW {partition.HighWatermark}): records it consumed are gone");
        if (read.Records.SizeInBytes == 0)
            return;
        foreach (var batch in ParseBatches(ReplicaFetchPath.Copy(read.Records)))
        {
            if (batch.LastOffset < position)
                continue;
            ObserveCommitted(p, batch, $"consumer reading {replica} below HW {partition.HighWatermark}");
            Consumed += batch.LastOffset - batch.BaseOffset + 1;
            _consumerPosition[p] = Math.Max(_consumerPosition[p], batch.LastOffset + 1);
        }
        _consumerEpoch[p] = Math.Max(_consumerEpoch[p], epoch);
    }
}

/// <summary>An acknowledged produce: which batch, where, and when the producer heard.</summary>
internal sealed record AckedRecord(long Id, int Partition, BatchInfo Batch, long AtMs);
