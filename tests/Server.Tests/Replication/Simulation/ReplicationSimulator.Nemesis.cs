namespace KafkaOperator.Server.Tests.Replication.Simulation;

/// <summary>
/// The faults, and the run: chaos, then healing until everything converges. Power losses (which lose unflushed
/// writes) stay within the failure budget: they strike a settled cluster (everything healed, full ISRs, metadata
/// applied everywhere), at most <see cref="SimSetup.FailureBudget"/> brokers at once, and nothing else fails until
/// every damaged broker is back in every ISR. Everything else (kill -9 crashes, which keep the page cache, cut
/// links in one or both directions between brokers or to the controller, slow brokers, controlled shutdowns)
/// strikes at any time: without lost writes, acks=all records must survive any of it.
/// </summary>
internal sealed partial class ReplicationSimulator
{
    private enum NemesisMode
    {
        Chaos,
        Settling,
        Repairing,
        Off,
    }

    private NemesisMode _mode = NemesisMode.Chaos;
    private long _settleDeadline;

    public int PowerLosses { get; private set; }

    public int Crashes { get; private set; }

    public int LinkCuts { get; private set; }

    /// <summary>One whole run: chaos for <paramref name="chaosMs"/>, then heal and converge.</summary>
    public void Run(long chaosMs = 2_000, long convergeLimitMs = 10_000)
    {
        Every(10, Produce);
        Every(25, Consume);
        At(Now + Rng.Next(50, 200), Nemesis);
        RunUntil(chaosMs);
        _mode = NemesisMode.Off;
        Trace("healing everything");
        HealEverything();
        RunUntil(Now + 200);
        Producing = false;
        var converged = RunUntil(Converged, convergeLimitMs);
        Require(converged, $"no convergence {convergeLimitMs} ms after healing:{Environment.NewLine}{State()}");
        CheckFinalState();
    }

    private void Nemesis()
    {
        switch (_mode)
        {
            case NemesisMode.Off:
                return;
            case NemesisMode.Settling:
                if (Settled())
                {
                    PowerLoss();
                }
                else if (Now > _settleDeadline)
                {
                    _mode = NemesisMode.Chaos;
                }
                At(Now + 10, Nemesis);
                return;
            case NemesisMode.Repairing:
                if (Brokers.All(b => !b.Damaged || Repaired(b)))
                {
                    foreach (var b in Brokers.Where(b => b.Damaged))
                    {
                        b.Damaged = false;
                        Trace($"{b} repaired: back in every ISR");
                    }
                    _mode = NemesisMode.Chaos;
                }
                At(Now + 10, Nemesis);
                return;
        }
        var roll = Rng.Next(100);
        var alive = Brokers.Where(b => b.Alive && !b.ShuttingDown).ToList();
        if (roll < 12 && alive.Count > 1)
        {
            var victim = alive[Rng.Next(alive.Count)];
            Crash(victim, powerLoss: false);
            Crashes++;
            RestartLater(victim, Rng.Next(10, 500));
        }
        else if (roll < 30)
        {
            var a = Rng.Next(1, Brokers.Count + 1);
            var b = Rng.Next(3) == 0 ? SimController.Id : Rng.Next(1, Brokers.Count + 1);
            if (a != b)
                CutFor([(a, b)], both: Rng.Next(2) == 0, Rng.Next(100, 800));
        }
        else if (roll < 42)
        {
            // An isolated broker: a leader there goes on alone (a zombie) while the others elect a new one.
            var a = Rng.Next(1, Brokers.Count + 1);
            CutFor([.. Brokers.Where(b => b.Id != a).Select(b => (a, b.Id)), (a, SimController.Id)], both: true, Rng.Next(100, 600));
        }
        else if (roll < 52 && alive.Count > 0)
        {
            var slow = alive[Rng.Next(alive.Count)];
            slow.SlowUntil = Now + Rng.Next(200, 800);
            Trace($"{slow} slow until {slow.SlowUntil}");
        }
        else if (roll < 58 && alive.Count > 1)
        {
            ShutDown(alive[Rng.Next(alive.Count)]);
        }
        else if (roll < 66)
        {
            _cut.Clear();
            Trace("every link healed");
        }
        else if (roll < 74)
        {
            _mode = NemesisMode.Settling;
            _settleDeadline = Now + 1_500;
            Trace("settling for a power loss");
            HealEverything();
            At(Now + 10, Nemesis);
            return;
        }
        At(Now + Rng.Next(30, 150), Nemesis);
    }

    private void CutFor(List<(int From, int To)> links, bool both, int durationMs)
    {
        var all = both ? [.. links, .. links.Select(l => (l.To, l.From))] : links;
        foreach (var link in all)
            _cut.Add(link);
        LinkCuts++;
        Trace($"links cut for {durationMs} ms: {string.Join(", ", all.Select(l => $"{l.From}->{l.To}"))}");
        At(Now + durationMs, () =>
        {
            foreach (var link in all)
                _cut.Remove(link);
        });
    }

    private void PowerLoss()
    {
        var count = Rng.Next(1, Setup.FailureBudget + 1);
        var victims = Brokers.OrderBy(_ => Rng.Next()).Take(count).ToList();
        foreach (var victim in victims)
        {
            PowerLosses++;
            victim.Damaged = Crash(victim, powerLoss: true);
            RestartLater(victim, Rng.Next(10, 500));
        }
        _mode = victims.Any(v => v.Damaged) ? NemesisMode.Repairing : NemesisMode.Chaos;
    }

    private void RestartLater(SimBroker b, int delayMs)
    {
        var incarnation = b.Incarnation;
        At(Now + delayMs, () =>
        {
            if (!b.Alive && b.Incarnation == incarnation)
                Restart(b, hadCleanShutdown: false);
        });
    }

    private void HealEverything()
    {
        _cut.Clear();
        foreach (var b in Brokers)
        {
            b.SlowUntil = 0;
            if (!b.Alive && !b.ShuttingDown)
                Restart(b, hadCleanShutdown: false);
        }
    }

    /// <summary>Nothing failing or in flight: the only state in which a power loss stays within the budget.</summary>
    private bool Settled()
    {
        if (_cut.Count > 0 || Brokers.Any(b => !b.Alive || b.ShuttingDown || b.Damaged || b.SlowUntil > Now || b.BrokerEpoch < 0 || b.ImageOffset != Controller.Offset))
            return false;
        var image = Controller.Image;
        if (image.Brokers.Values.Any(b => b.Fenced))
            return false;
        foreach (var meta in image.Topic(TopicId)!.Partitions)
        {
            if (meta.Leader < 0 || meta.Isr.Length != meta.Replicas.Length)
                return false;
            var leader = Broker(meta.Leader).Replicas.First(r => r.Index == meta.Partition).Partition;
            if (leader.PendingIsr is not null)
                return false;
        }
        return true;
    }

    /// <summary>Back in the committed ISR of every partition it holds (it copied everything committed again).</summary>
    private bool Repaired(SimBroker b)
    {
        if (!b.Alive || b.BrokerEpoch < 0)
            return false;
        var image = Controller.Image;
        if (!image.Brokers.TryGetValue(b.Id, out var info) || info.Fenced)
            return false;
        return b.Replicas.All(r => Array.IndexOf(image.Topic(TopicId)!.Partitions[r.Index].Isr, b.Id) >= 0);
    }

    public string State()
    {
        var lines = new List<string> { $"t={Now} controller offset {Controller.Offset}" };
        foreach (var info in Controller.Image.Brokers.Values)
            lines.Add($"  registered {info.Id} epoch {info.Epoch}{(info.Fenced ? " fenced" : "")}{(info.ShuttingDown ? " shutting down" : "")}");
        foreach (var p in Controller.Image.Topic(TopicId)!.Partitions)
            lines.Add($"  p{p.Partition}: leader {p.Leader} epoch {p.LeaderEpoch} isr [{string.Join(',', p.Isr)}] partition epoch {p.PartitionEpoch}");
        foreach (var b in Brokers)
        {
            lines.Add($"  {b}: {(b.Alive ? "up" : "down")} epoch {b.BrokerEpoch} metadata {b.ImageOffset}{(b.Damaged ? " damaged" : "")}");
            if (!b.Alive)
                continue;
            foreach (var r in b.Replicas)
            {
                var role = r.Partition.Role;
                lines.Add($"    p{r.Index}: {(role.IsLeader ? "leader" : $"follower of {r.FollowLeader}")} epoch {role.LeaderEpoch} isr [{string.Join(',', role.Isr)}] pending [{string.Join(',', r.Partition.PendingIsr ?? [])}] LEO {r.Partition.LogEndOffset} HW {r.Partition.HighWatermark}");
            }
        }
        return string.Join(Environment.NewLine, lines);
    }
}
