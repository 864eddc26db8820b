using KafkaOperator.Operator.Crds;

namespace KafkaOperator.Operator.Reconcilers;

/// <summary>A broker pod as the roll sees it: Current = runs the desired template and configuration.</summary>
public sealed record RollPod(int Ordinal, string Name, bool Ready, bool Terminating, bool Current);

/// <summary>
/// The decision of one reconcile pass: delete <see cref="Delete"/> (the next broker), or wait, with the condition
/// reason and message saying on what. <see cref="State"/> is the roll's state to keep in status (null when done).
/// </summary>
public sealed record RollDecision(RollPod? Delete, string? Reason, string? Message, RollStatus? State, IReadOnlyList<int> Order)
{
    public bool Done => Reason is null && Delete is null;
}

/// <summary>
/// Decides rolling restarts as Strimzi's KafkaRoller does, from the pods and what the brokers report: one broker at
/// a time, brokers that are not Ready first (they serve nothing, so restarting them costs nothing), then the
/// broker-only nodes, the controllers and the active controller last (one controller election, not one per
/// voter). A Ready broker is restarted only when no partition would fall below its min.insync.replicas without it
/// and, for a voter, when a majority of the other voters is caught up. After a restart the next broker waits until
/// the restarted one is Ready and back in the ISR of every partition it hosts. A broker that is not Ready within
/// the timeout stops the roll (RollStalled); the operator never goes on past it.
/// </summary>
public static class RollPlanner
{
    /// <summary>A voter this many metadata entries or fewer behind the high watermark counts as caught up.</summary>
    public const long MaxCaughtUpVoterLag = 1000;

    public static RollDecision Decide(IReadOnlyList<RollPod> pods, int brokers, int controllers, ClusterState? kafka, RollStatus? inProgress,
        bool templateObserved, DateTimeOffset now, TimeSpan readyTimeout)
    {
        var outdated = pods.Where(p => !p.Current).ToList();
        var order = Order(outdated, controllers, kafka?.ActiveController ?? -1);
        var pending = order.Select(p => p.Ordinal).ToList();

        // The broker restarted last must be back, and back in sync, before anything else happens.
        if (inProgress?.Broker is int last)
        {
            var lastPod = pods.FirstOrDefault(p => p.Ordinal == last);
            var state = new RollStatus { Broker = last, Pod = inProgress.Pod, StartedAt = inProgress.StartedAt, Pending = pending };
            if (lastPod is not { Ready: true, Terminating: false })
            {
                if (inProgress.StartedAt is { } started && now - started > readyTimeout)
                {
                    return Wait("RollStalled", $"broker {last} ({inProgress.Pod}) did not become Ready within {Duration(readyTimeout)} of its restart; the roll is stopped until it is Ready (the operator does not restart further brokers past it)", state, pending);
                }
                return Wait("RollingUpdate", $"rolling update: waiting for broker {last} ({inProgress.Pod}) to be Ready", state, pending);
            }
            if (kafka is null)
            {
                return Wait("RollingUpdate", $"rolling update: broker {last} is Ready; waiting to reach the brokers to check that its replicas are back in sync", state, pending);
            }
            var behind = NotBackInIsr(kafka, last);
            if (behind.Count > 0)
            {
                return Wait("RollingUpdate", $"rolling update: waiting for broker {last}'s replicas to rejoin the ISR of {Name(behind)}", state, pending);
            }
        }

        if (outdated.Count == 0)
        {
            return new RollDecision(null, null, null, null, []);
        }
        var waiting = new RollStatus { Pending = pending };
        if (!templateObserved)
        {
            return Wait("RollingUpdate", "rolling update: waiting for the StatefulSet controller to observe the new pod template", waiting, pending);
        }
        if (pods.Any(p => p.Terminating))
        {
            return Wait("RollingUpdate", "rolling update: waiting for a terminating broker to come back", waiting, pending);
        }
        foreach (var candidate in order)
        {
            var othersReady = pods.Count == brokers && pods.Where(p => p != candidate).All(p => p.Ready);
            if (!othersReady)
            {
                continue;
            }
            if (candidate.Ready)
            {
                if (kafka is null)
                {
                    return Wait("RollingUpdate", $"rolling update: cannot reach the brokers to check broker {candidate.Ordinal}'s partitions against min.insync.replicas", waiting, pending);
                }
                var atRisk = WouldFallBelowMinIsr(kafka, candidate.Ordinal);
                if (atRisk.Count > 0)
                {
                    return Wait("WaitingForMinIsr", $"rolling update: restarting broker {candidate.Ordinal} now would take {Name(atRisk)} below min.insync.replicas; waiting for their ISR to grow", waiting, pending);
                }
                if (candidate.Ordinal < controllers && !QuorumSurvives(kafka, candidate.Ordinal, controllers))
                {
                    return Wait("WaitingForQuorum", $"rolling update: restarting controller {candidate.Ordinal} now would leave fewer than a majority of caught-up voters", waiting, pending);
                }
            }
            var started = new RollStatus { Broker = candidate.Ordinal, Pod = candidate.Name, StartedAt = now, Pending = pending.Where(o => o != candidate.Ordinal).ToList() };
            return new RollDecision(candidate, "RollingUpdate", $"rolling broker {candidate.Ordinal} ({candidate.Name})", started, pending);
        }
        return Wait("RollingUpdate", $"rolling update: {outdated.Count} broker(s) outdated, waiting for all other brokers to be Ready", waiting, pending);
    }

    /// <summary>Not-Ready first, then broker-only nodes, then controllers, the active controller last; by ordinal within each.</summary>
    public static List<RollPod> Order(IEnumerable<RollPod> outdated, int controllers, int activeController) =>
        outdated.OrderBy(p => p.Ready ? 1 : 0)
            .ThenBy(p => p.Ordinal == activeController ? 2 : p.Ordinal < controllers ? 1 : 0)
            .ThenBy(p => p.Ordinal)
            .ToList();

    /// <summary>
    /// Partitions the broker is in the ISR of whose ISR would drop below min.insync.replicas without it. Partitions
    /// with no more replicas than min.insync.replicas are left out, as Strimzi does: they lose acks=all availability
    /// with any one broker down, so no order of restarts could keep them writable.
    /// </summary>
    public static List<PartitionState> WouldFallBelowMinIsr(ClusterState kafka, int broker) =>
        kafka.Partitions.Where(p => p.Isr.Contains(broker) && p.Replicas.Count > p.MinInsyncReplicas && p.Isr.Count - 1 < p.MinInsyncReplicas).ToList();

    /// <summary>Partitions hosted on the broker whose ISR does not include it (yet).</summary>
    public static List<PartitionState> NotBackInIsr(ClusterState kafka, int broker) =>
        kafka.Partitions.Where(p => p.Replicas.Contains(broker) && !p.Isr.Contains(broker)).ToList();

    private static bool QuorumSurvives(ClusterState kafka, int controller, int controllers)
    {
        if (kafka.Voters.Count == 0)
        {
            return controllers == 1; // a single voter is restarted regardless; otherwise the quorum must be known
        }
        var caughtUp = kafka.Voters.Count(v => v.Id != controller && v.Lag >= 0 && v.Lag <= MaxCaughtUpVoterLag);
        return controllers == 1 || caughtUp >= controllers / 2 + 1;
    }

    /// <summary>A timeout as people set it: "5 min", "90 s", "2 h" (whole hours only; else minutes).</summary>
    public static string Duration(TimeSpan t)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return t.TotalHours >= 1 && t.TotalMinutes % 60 == 0 ? string.Create(c, $"{t.TotalHours:0.#} h")
            : t.TotalMinutes >= 1 ? string.Create(c, $"{t.TotalMinutes:0.#} min")
            : string.Create(c, $"{t.TotalSeconds:0.#} s");
    }

    public static string Name(IReadOnlyCollection<PartitionState> partitions, int max = 5) =>
        string.Join(", ", partitions.Take(max).Select(p => p.ToString())) + (partitions.Count > max ? $" and {partitions.Count - max} more" : "");

    private static RollDecision Wait(string reason, string message, RollStatus state, IReadOnlyList<int> order)
    {
        state.Waiting = message;
        return new(null, reason, message, state, order);
    }
}
