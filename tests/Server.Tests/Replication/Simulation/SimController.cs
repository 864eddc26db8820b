using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// The active controller, never failing (the metadata quorum has its own simulation): the committed metadata is
/// the image <see cref="MetadataStateMachine"/> gives for the records committed so far, each at its own offset.
/// Its loop mirrors ActiveController's pass with the production pieces (<see cref="BrokerLiveness"/>,
/// <see cref="PartitionElection"/>), and AlterPartition goes through <see cref="AlterPartitionValidator"/>.
/// Proposals commit after a short delay, against whatever the image is by then, so decisions race as they do
/// between the controller loop and AlterPartition handlers (a stale partition epoch is refused at apply).
/// </summary>
internal sealed class SimController
{
    public const int Id = 100;

    private readonly ReplicationSimulator _sim;
    private readonly BrokerLiveness _liveness = new(Id, SimTiming.SessionTimeoutMs, SimTiming.HeartbeatMs);
    private readonly Dictionary<int, (long Epoch, long AtMs, long AnyAtMs)> _lastHeartbeat = [];
    private bool _passInFlight;

    public SimController(ReplicationSimulator sim, MetadataImage image, long offset)
    {
        _sim = sim;
        Image = image;
        Offset = offset;
    }

    public MetadataImage Image { get; private set; }

    public long Offset { get; private set; }

    /// <summary>A quorum fetch carrying <paramref name="brokerEpoch"/> (-1 before the process registered), as LeaderState keeps it.</summary>
    public void Heartbeat(int brokerId, long brokerEpoch)
    {
        var (epoch, at, _) = _lastHeartbeat.GetValueOrDefault(brokerId, (-1, -1, -1));
        _lastHeartbeat[brokerId] = brokerEpoch >= 0 && brokerEpoch >= epoch ? (brokerEpoch, _sim.Now, _sim.Now) : (epoch, at, _sim.Now);
    }

    public ApplyResult Commit(MetadataRecord record)
    {
        var machine = new MetadataStateMachine(Image);
        var result = machine.Apply(record, Offset + 1);
        Offset++;
        if (result.Error == ErrorCode.None)
        {
            CountChanges(Image, record);
            Image = machine.ToImage(Id);
            _sim.Trace($"controller commits {Describe(record)} at {Offset}");
        }
        else
        {
            _sim.Trace($"controller refuses {Describe(record)}: {result.Error}");
        }
        return result;
    }

    public int LeaderChanges { get; private set; }

    public int IsrShrinks { get; private set; }

    public int IsrExpansions { get; private set; }

    private void CountChanges(MetadataImage before, MetadataRecord record)
    {
        if (record is BatchRecord batch)
        {
            foreach (var r in batch.Records)
                CountChanges(before, r);
            return;
        }
        if (record is not PartitionChangeRecord change || before.Topic(change.TopicId) is not { } topic)
            return;
        var p = topic.Partitions[change.Partition];
        if (change.Leader is { } leader && leader != p.Leader)
            LeaderChanges++;
        if (change.Isr is { } isr)
        {
            if (isr.Length < p.Isr.Length)
                IsrShrinks++;
            else if (isr.Length > p.Isr.Length)
                IsrExpansions++;
        }
    }

    /// <summary>One pass of ActiveController: fence the silent (with the moves off them), elect, unfence.</summary>
    public void Pass()
    {
        if (_passInFlight)
            return;
        var image = Image;
        var voters = new List<VoterState> { new(Id, Offset, _sim.Now) };
        foreach (var b in image.Brokers.Keys)
        {
            var (epoch, at, any) = _lastHeartbeat.GetValueOrDefault(b, (-1, -1, -1));
            voters.Add(new VoterState(b, 0, any, epoch, at));
        }
        var liveness = _liveness.Decide(image, voters, _sim.Now);
        var fences = liveness.OfType<FenceBrokerRecord>().ToList();
        if (fences.Count > 0)
        {
            var machine = new MetadataStateMachine(image);
            foreach (var fence in fences)
                machine.Apply(fence, -1);
            var moves = PartitionElection.DecideAll(machine.ToImage(Id), _ => false);
            Propose([new BatchRecord([.. fences, .. moves])]);
            return;
        }
        var changes = PartitionElection.DecideAll(image, _ => false);
        if (changes.Count > 0)
        {
            Propose([new BatchRecord([.. changes])]);
            return;
        }
        var unfences = liveness.OfType<UnfenceBrokerRecord>().Where(u => !LeadsAnything(image, u.BrokerId)).Cast<MetadataRecord>().ToList();
        if (unfences.Count > 0)
            Propose(unfences);
    }

    private void Propose(List<MetadataRecord> records)
    {
        _passInFlight = true;
        _sim.At(_sim.Now + _sim.Rng.Next(1, 6), () =>
        {
            foreach (var r in records)
                Commit(r);
            _passInFlight = false;
        });
    }

    /// <summary>
    /// AlterPartition as AlterPartitionHandler: validate against the image now, commit each change (later, so it may
    /// meet a newer partition epoch), answer with each partition's outcome.
    /// </summary>
    public void AlterPartition(AlterPartitionRequest request, Action<AlterPartitionResponse> respond)
    {
        var plan = AlterPartitionValidator.Validate(Image, request, 3);
        if (plan.Error != ErrorCode.None)
        {
            respond(new AlterPartitionResponse { ErrorCode = (short)plan.Error });
            return;
        }
        _sim.At(_sim.Now + _sim.Rng.Next(1, 6), () =>
        {
            var response = new AlterPartitionResponse();
            foreach (var topic in plan.Topics)
            {
                var data = new AlterPartitionResponse.TopicData { TopicId = topic.TopicId };
                foreach (var decision in topic.Partitions)
                {
                    var error = decision.Change is { } change ? Commit(change).Error : decision.Error;
                    data.Partitions.Add(new AlterPartitionResponse.PartitionData { PartitionIndex = decision.PartitionIndex, ErrorCode = (short)error });
                }
                response.Topics.Add(data);
            }
            respond(response);
        });
    }

    /// <summary>A broker (re)starting registers; a known id comes back fenced until its old leaderships moved.</summary>
    public long Register(int brokerId)
    {
        var result = Commit(new RegisterBrokerRecord(brokerId, [new EndpointRecord("PLAINTEXT", "sim", 9000 + brokerId)], null));
        return result.Value;
    }

    /// <summary>Controlled shutdown: the broker fences itself (ShuttingDown); the next pass moves its leaderships.</summary>
    public ApplyResult ShutDown(int brokerId, long brokerEpoch) => Commit(new FenceBrokerRecord(brokerId, brokerEpoch, ShuttingDown: true));

    public static bool LeadsAnything(MetadataImage image, int brokerId) =>
        image.TopicsById.Values.Any(t => t.Partitions.Any(p => p.Leader == brokerId));

    private static string Describe(MetadataRecord record) => record switch
    {
        BatchRecord b => string.Join("; ", b.Records.Select(Describe)),
        RegisterBrokerRecord r => $"register {r.BrokerId}",
        FenceBrokerRecord f => $"fence {f.BrokerId}{(f.ShuttingDown ? " (shutting down)" : "")}",
        UnfenceBrokerRecord u => $"unfence {u.BrokerId}",
        PartitionChangeRecord c => $"p{c.Partition}@pe{c.PartitionEpoch}:{(c.Leader is { } l ? $" leader {l}" : "")}{(c.Isr is { } isr ? $" isr [{string.Join(',', isr)}]" : "")}",
        _ => record.GetType().Name,
    };
}
