using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Server.Replication;
using KafkaOperator.Storage;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// The brokers' side: process start (catch up with the metadata, apply it, then register, as BrokerHost does),
/// the roles from metadata (ReplicaManager.ApplyRole), follower fetches (ReplicaFetcher's request, FetchHandler's
/// leader side, <see cref="FollowerFetchApply"/> on the answer), ISR changes (AlterPartitionSender), the ISR
/// expiry task, the flusher and the HW checkpoint, crashes and controlled shutdowns.
/// </summary>
internal sealed partial class ReplicationSimulator
{
    private sealed record MetadataReply(MetadataImage Image, long Offset);

    private sealed record RegisterReply(long BrokerEpoch);

    private sealed record ShutdownReply(ErrorCode Error);

    /// <summary>Opens the broker's logs (recovering them unless it shut down cleanly); its roles come with the first metadata.</summary>
    private void StartProcess(SimBroker b, bool hadCleanShutdown)
    {
        b.Alive = true;
        b.Incarnation++;
        b.BrokerEpoch = -1;
        b.Image = null;
        b.ImageOffset = -1;
        b.ShuttingDown = false;
        b.RegisterInFlight = false;
        var channel = new IsrChannel(this, b, b.Incarnation);
        for (var p = 0; p < Setup.Partitions; p++)
        {
            if (Array.IndexOf(Setup.ReplicasOf(p), b.Id) < 0)
                continue;
            var r = b.Replicas.FirstOrDefault(x => x.Index == p);
            if (r is null)
            {
                r = new SimReplica(b, TopicId, TopicName, p);
                b.Replicas.Add(r);
            }
            var log = PartitionLog.Open(b.DataDir, TopicName, p, LogConfig, LogOptions, hadCleanShutdown, r.RecoveryPointAtCrash, 0, r.HighWatermarkCheckpoint);
            r.Partition = new Partition(TopicName, TopicId, p, b.Id, log, TopicConfig) { IsrChannel = channel };
            r.FollowLeader = -1;
            r.FollowEpoch = -1;
            r.FetchGeneration++;
            ResetObservations(r);
        }
    }

    private void StartLoops(SimBroker b)
    {
        Loop(b, SimTiming.HeartbeatMs, () => FetchMetadata(b));
        Loop(b, SimTiming.ReplicaLagMaxMs / 2, () =>
        {
            foreach (var r in b.Replicas)
                r.Partition.MaybeShrinkIsr(Now, SimTiming.ReplicaLagMaxMs);
        });
        // The OS writing dirty pages back, or flush.ms: everything appended so far becomes durable.
        Loop(b, Rng.Next(40, 300), () =>
        {
            foreach (var r in b.Replicas)
                r.Partition.Log.Flush();
        });
        // replication-offset-checkpoint: what a restart reads the HW back from.
        Loop(b, Rng.Next(50, 200), () =>
        {
            foreach (var r in b.Replicas)
                r.HighWatermarkCheckpoint = r.Partition.HighWatermark;
        });
    }

    /// <summary>A periodic task of one broker process: it ends with the process.</summary>
    private void Loop(SimBroker b, int periodMs, Action action)
    {
        var incarnation = b.Incarnation;
        void Tick()
        {
            if (!b.Alive || b.Incarnation != incarnation)
                return;
            action();
            At(Now + periodMs + Rng.Next(0, 1 + (periodMs / 4)), Tick);
        }
        At(Now + Rng.Next(1, periodMs + 1), Tick);
    }

    // ---- metadata -----------------------------------------------------------------------------------------------

    /// <summary>The quorum fetch: a heartbeat for the controller, the committed metadata for the broker.</summary>
    private void FetchMetadata(SimBroker b)
    {
        var brokerEpoch = b.BrokerEpoch;
        Call<MetadataReply>(b.Id, SimController.Id, respond =>
        {
            Controller.Heartbeat(b.Id, brokerEpoch);
            respond(new MetadataReply(Controller.Image, Controller.Offset));
        }, reply =>
        {
            if (reply is null)
                return;
            if (reply.Offset > b.ImageOffset)
                ApplyImage(b, reply.Image, reply.Offset);
            if (b.BrokerEpoch < 0 && !b.RegisterInFlight)
                Register(b);
            if (b.ShuttingDown && !SimController.LeadsAnything(b.Image!, b.Id))
                Stop(b, "controlled shutdown done");
        });
    }

    /// <summary>ReplicaManager.Reconcile/ApplyRole for every hosted replica.</summary>
    private void ApplyImage(SimBroker b, MetadataImage image, long offset)
    {
        b.Image = image;
        b.ImageOffset = offset;
        var topic = image.Topic(TopicId)!;
        foreach (var r in b.Replicas)
        {
            var meta = ReplicaManager.LocalView(image, topic.Partitions[r.Index], b.Id, b.BrokerEpoch);
            if (meta.Leader == b.Id)
                StopFetching(r);
            var change = r.Partition.ApplyMetadata(meta, Now);
            if (change == RoleChange.None)
                continue;
            if (change != RoleChange.IsrChanged)
                Trace($"{r} {change}: epoch {meta.LeaderEpoch}, leader {meta.Leader}, isr [{string.Join(',', meta.Isr)}], LEO {r.Partition.LogEndOffset}, HW {r.Partition.HighWatermark}");
            if (change is RoleChange.BecameFollower)
            {
                StopFetching(r);
                if (meta.Leader >= 0)
                    StartFetching(r, meta.Leader, meta.LeaderEpoch);
            }
        }
    }

    private void Register(SimBroker b)
    {
        b.RegisterInFlight = true;
        Call<RegisterReply>(b.Id, SimController.Id, respond => respond(new RegisterReply(Controller.Register(b.Id))), reply =>
        {
            b.RegisterInFlight = false;
            if (reply is null)
                return;
            b.BrokerEpoch = reply.BrokerEpoch;
            ApplyImage(b, b.Image!, b.ImageOffset); // BrokerHost: Replicas.Refresh() once registered
        });
    }

    // ---- follower fetches ---------------------------------------------------------------------------------------

    private static void StopFetching(SimReplica r)
    {
        r.FollowLeader = -1;
        r.FollowEpoch = -1;
        r.FetchGeneration++;
    }

    private void StartFetching(SimReplica r, int leader, int epoch)
    {
        r.FollowLeader = leader;
        r.FollowEpoch = epoch;
        var generation = ++r.FetchGeneration;
        At(Now + Rng.Next(0, 3), () => FetchOnce(r, generation));
    }

    /// <summary>One Fetch as ReplicaFetcher builds it; its answer is applied even when the fetcher moved on (the partition refuses a stale epoch).</summary>
    private void FetchOnce(SimReplica r, int generation)
    {
        var b = r.Broker;
        if (!b.Alive || generation != r.FetchGeneration || r.FollowLeader < 0)
            return;
        var partition = r.Partition;
        // Sometimes small, so that answers end in a partial batch.
        var request = ReplicaFetchPath.Request(partition, r.FollowEpoch, Rng.Next(4) == 0 ? Rng.Next(100, 600) : 1 << 20);
        var epoch = r.FollowEpoch;
        var leader = r.FollowLeader;
        var brokerEpoch = b.BrokerEpoch;
        Call<FetchResponse.PartitionData>(b.Id, leader, respond => respond(LeaderFetch(Broker(leader), r.Index, b.Id, brokerEpoch, request)), data =>
        {
            var ok = false;
            var records = false;
            if (data is not null)
            {
                var before = partition.LogEndOffset;
                ok = FollowerFetchApply.Handle(partition, epoch, data, $"{leader}/sim");
                records = data.Records is { SizeInBytes: > 0 };
                if (partition.LogEndOffset < before)
                {
                    Truncations++;
                    if (data.DivergingEpoch.Epoch >= 0 && data.DivergingEpoch.Epoch < request.LastFetchedEpoch)
                        TruncationsBelowLastEpoch++;
                    Trace($"{r} truncated {before} -> {partition.LogEndOffset} (leader {leader} epoch {epoch}, diverging e{data.DivergingEpoch.Epoch}@{data.DivergingEpoch.EndOffset}, error {(ErrorCode)data.ErrorCode})");
                }
            }
            if (generation != r.FetchGeneration)
                return;
            var wait = data is null || !ok ? SimTiming.FetchBackoffMs : records ? Rng.Next(0, 3) : Rng.Next(8, 25);
            At(Now + wait, () => FetchOnce(r, generation));
        });
    }

    /// <summary>FetchHandler on the leader's broker: its ReplicaManager.Get, its replica check against its own metadata.</summary>
    private FetchResponse.PartitionData LeaderFetch(SimBroker leader, int index, int replicaId, long replicaEpoch, FetchRequest.FetchPartition p)
    {
        var partition = leader.Image is null ? null : leader.Replicas.FirstOrDefault(x => x.Index == index)?.Partition;
        var replicaError = leader.Image is null || !leader.Image.Brokers.TryGetValue(replicaId, out var info) || replicaId == leader.Id ? ErrorCode.NotLeaderOrFollower
            : replicaEpoch >= 0 && replicaEpoch != info.Epoch ? ErrorCode.StaleBrokerEpoch : ErrorCode.None;
        return ReplicaFetchPath.LeaderSide(partition, replicaId, p, Now, replicaError);
    }

    // ---- ISR changes --------------------------------------------------------------------------------------------

    /// <summary>AlterPartitionSender: one request per change, to the controller; a refusal or a lost answer clears the pending change.</summary>
    private sealed class IsrChannel(ReplicationSimulator sim, SimBroker broker, int incarnation) : IIsrChangeChannel
    {
        public void Submit(Partition partition, ReplicaRole basedOn, int[] newIsr) =>
            // Called under the partition's lock: send from the event loop, as the sender's own task would.
            sim.At(sim.Now, () => sim.SendAlterPartition(broker, incarnation, partition, basedOn, newIsr));

        /// <summary>As the sender: by this broker's own (possibly stale) image.</summary>
        public bool IsEligible(int brokerId) => broker.Image?.IsEligibleReplica(brokerId) ?? false;
    }

    private void SendAlterPartition(SimBroker b, int incarnation, Partition partition, ReplicaRole basedOn, int[] newIsr)
    {
        if (!b.Alive || b.Incarnation != incarnation)
            return;
        var image = b.Image!;
        var request = new AlterPartitionRequest { BrokerId = b.Id, BrokerEpoch = b.BrokerEpoch };
        request.Topics.Add(new AlterPartitionRequest.TopicData
        {
            TopicId = TopicId,
            Partitions =
            [
                new AlterPartitionRequest.PartitionData
                {
                    PartitionIndex = partition.Index,
                    LeaderEpoch = basedOn.LeaderEpoch,
                    PartitionEpoch = basedOn.PartitionEpoch,
                    NewIsrWithEpochs = [.. newIsr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = image.Brokers.TryGetValue(id, out var info) ? info.Epoch : -1 })],
                },
            ],
        });
        Trace($"{TopicName}-{partition.Index}@{b.Id} asks isr [{string.Join(',', newIsr)}] (epoch {basedOn.LeaderEpoch}, partition epoch {basedOn.PartitionEpoch})");
        Call<AlterPartitionResponse>(b.Id, SimController.Id, respond => Controller.AlterPartition(request, respond), response =>
        {
            var error = response is null ? ErrorCode.RequestTimedOut
                : response.ErrorCode != 0 ? (ErrorCode)response.ErrorCode
                : (ErrorCode)response.Topics.SelectMany(t => t.Partitions).First().ErrorCode;
            if (error == ErrorCode.None)
                return;
            switch (AlterPartitionSender.AfterError(error))
            {
                case PendingIsrAction.Revert:
                    partition.ClearPendingIsr(basedOn.PartitionEpoch);
                    break;
                case PendingIsrAction.Retry:
                    At(Now + 100, () =>
                    {
                        if (ReferenceEquals(partition.PendingIsr, newIsr))
                            SendAlterPartition(b, incarnation, partition, basedOn, newIsr);
                    });
                    break;
            }
        });
    }

    // ---- crashes, restarts, shutdowns ---------------------------------------------------------------------------

    /// <summary>
    /// The process dies. With <paramref name="powerLoss"/> the machine does too: each log keeps what was fsynced
    /// (below its recovery point) and a random part of the rest, possibly torn mid-batch. True when anything was lost.
    /// </summary>
    private bool Crash(SimBroker b, bool powerLoss)
    {
        ResolvePending();
        var lost = false;
        var detail = new List<string>();
        foreach (var r in b.Replicas)
        {
            var log = r.Partition.Log;
            var recoveryPoint = log.RecoveryPoint;
            var end = log.LogEndOffset;
            var dir = log.Directory;
            log.Dispose();
            r.RecoveryPointAtCrash = recoveryPoint;
            if (powerLoss && end > recoveryPoint)
            {
                lost |= LoseUnflushed(dir, recoveryPoint);
                detail.Add($"p{r.Index} durable below {recoveryPoint} of {end}");
            }
            StopFetching(r);
        }
        b.Alive = false;
        b.Incarnation++;
        Trace($"{b} {(powerLoss ? "loses power" : "crashes (kill -9)")}{(detail.Count > 0 ? ": " + string.Join(", ", detail) : "")}");
        return lost;
    }

    /// <summary>Cuts each segment file at or after the first batch at <paramref name="recoveryPoint"/>: all of the rest, part of it, or mid-batch.</summary>
    private bool LoseUnflushed(string dir, long recoveryPoint)
    {
        var lost = false;
        foreach (var file in Directory.GetFiles(dir, "*.log").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            var boundaries = new List<int>();
            var position = 0;
            var durable = -1;
            while (bytes.Length - position >= RecordBatchHeader.LogOverhead)
            {
                var baseOffset = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(position));
                var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8)) + RecordBatchHeader.LogOverhead;
                if (durable < 0 && baseOffset >= recoveryPoint)
                    durable = position;
                if (durable >= 0)
                    boundaries.Add(position);
                if (size <= RecordBatchHeader.LogOverhead || size > bytes.Length - position)
                    break;
                position += size;
            }
            if (durable < 0)
                continue;
            boundaries.Add(bytes.Length);
            var cut = Rng.Next(3) switch
            {
                0 => durable,
                1 => boundaries[Rng.Next(boundaries.Count)],
                _ => Rng.Next(durable, bytes.Length + 1),
            };
            if (cut < bytes.Length)
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
                stream.SetLength(cut);
                lost = true;
            }
        }
        return lost;
    }

    /// <summary>Follower truncations; those below the epoch the follower fetched last took KIP-279's extra rounds.</summary>
    public int Truncations { get; private set; }

    public int TruncationsBelowLastEpoch { get; private set; }

    /// <summary>Restarts before the controller noticed the broker was gone (its old leaderships still stand).</summary>
    public int QuickRestarts { get; private set; }

    private void Restart(SimBroker b, bool hadCleanShutdown)
    {
        if (Controller.Image.Brokers.TryGetValue(b.Id, out var info) && !info.Fenced)
            QuickRestarts++;
        StartProcess(b, hadCleanShutdown);
        Trace($"{b} restarts ({(hadCleanShutdown ? "clean" : "recovering")}): {string.Join(", ", b.Replicas.Select(r => $"p{r.Index} LEO {r.Partition.LogEndOffset} HW {r.Partition.HighWatermark}"))}");
        StartLoops(b);
        FetchMetadata(b);
    }

    /// <summary>Controlled shutdown: fence itself as shutting down, stop once it leads nothing (or after a while regardless).</summary>
    private void ShutDown(SimBroker b)
    {
        if (b.BrokerEpoch < 0)
            return;
        b.ShuttingDown = true;
        Trace($"{b} begins a controlled shutdown");
        var incarnation = b.Incarnation;
        var brokerEpoch = b.BrokerEpoch;
        Call<ShutdownReply>(b.Id, SimController.Id, respond => respond(new ShutdownReply(Controller.ShutDown(b.Id, brokerEpoch).Error)), _ => { });
        At(Now + 600, () =>
        {
            if (b.Alive && b.Incarnation == incarnation)
                Stop(b, "controlled shutdown timed out");
        });
    }

    /// <summary>A clean stop: logs flushed and the HW checkpointed; it comes back after a while.</summary>
    private void Stop(SimBroker b, string why)
    {
        ResolvePending();
        foreach (var r in b.Replicas)
        {
            r.HighWatermarkCheckpoint = r.Partition.HighWatermark;
            r.Partition.Log.Dispose();
            r.RecoveryPointAtCrash = 0;
            StopFetching(r);
        }
        b.Alive = false;
        b.Incarnation++;
        Trace($"{b} stops ({why})");
        At(Now + Rng.Next(20, 300), () =>
        {
            if (!b.Alive)
                Restart(b, hadCleanShutdown: true);
        });
    }
}
