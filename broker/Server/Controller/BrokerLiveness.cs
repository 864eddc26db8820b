using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// The active controller's view of which brokers are alive, as KRaft's BrokerHeartbeatManager keeps it. Every
/// broker fetches the metadata log from the quorum leader (as a voter, or as an observer when it is broker-only), so
/// those fetches are its heartbeats, each carrying the broker epoch of the registration it belongs to (as Kafka's
/// BrokerHeartbeat does): a registration whose last heartbeat is older than broker.session.timeout.ms is fenced (its
/// partitions lose their leader), and a fenced one heard again is unfenced. A restarted process fetches (to catch up)
/// before it registers again, with no epoch; those fetches neither keep its old registration alive nor unfence it,
/// so partitions are never handed to a process that has not loaded its logs and registered. Only the leader
/// decides, and only from what it saw in its own term: a new leader gives every registration a full session from the
/// moment it first saw it before fencing it.
/// </summary>
public sealed class BrokerLiveness
{
    private readonly int _nodeId;
    private readonly long _sessionTimeoutMs;
    private readonly long _heartbeatIntervalMs;

    /// <summary>Per broker, the registration epoch last judged and when (quorum clock) it was first seen.</summary>
    private readonly Dictionary<int, (long Epoch, long SeenMs)> _sessions = [];

    public BrokerLiveness(int nodeId, long sessionTimeoutMs, long heartbeatIntervalMs)
    {
        _nodeId = nodeId;
        _sessionTimeoutMs = sessionTimeoutMs;
        _heartbeatIntervalMs = heartbeatIntervalMs;
    }

    /// <summary>
    /// The fence and unfence records the leader should commit now. <paramref name="leaderForMs"/> is how long this
    /// node has led; <paramref name="voters"/> are the voters and observers the leader saw fetch, their fetch times on
    /// the quorum's clock, compared with the leader's own entry.
    /// </summary>
    public IReadOnlyList<MetadataRecord> Decide(MetadataImage image, IReadOnlyList<VoterState> voters, long leaderForMs)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(voters);
        var self = voters.FirstOrDefault(v => v.Id == _nodeId);
        if (self is null)
            return [];
        var nowMs = self.LastFetchMs;
        var records = new List<MetadataRecord>();
        foreach (var broker in image.Brokers.Values)
        {
            if (broker.Id == _nodeId)
            {
                // The deciding node is alive by definition: once registered again after a restart (its own fetches
                // carry the new epoch) it is unfenced like any other broker, never fenced by itself.
                if (broker.Fenced && !broker.ShuttingDown && self.BrokerEpoch == broker.Epoch)
                    records.Add(new UnfenceBrokerRecord(broker.Id, broker.Epoch));
                continue;
            }
            var voter = voters.FirstOrDefault(v => v.Id == broker.Id);
            var heardEpoch = voter?.BrokerEpoch ?? -1;
            // A newer epoch than the image's: a registration this image does not show yet; judged once it does.
            if (heardEpoch > broker.Epoch)
                continue;
            long lastHeardMs;
            if (heardEpoch == broker.Epoch)
                lastHeardMs = voter!.BrokerEpochFetchMs;
            else
            {
                // Not heard this term: silent since the session began, when this leader first saw the registration
                // (or its term began, whichever is later).
                if (!_sessions.TryGetValue(broker.Id, out var session) || session.Epoch != broker.Epoch)
                    _sessions[broker.Id] = session = (broker.Epoch, nowMs);
                lastHeardMs = Math.Max(session.SeenMs, nowMs - leaderForMs);
            }
            var silentMs = nowMs - lastHeardMs;
            if (!broker.Fenced && silentMs > _sessionTimeoutMs)
                records.Add(new FenceBrokerRecord(broker.Id, broker.Epoch));
            else if (broker.Fenced && !broker.ShuttingDown && heardEpoch == broker.Epoch && silentMs <= 2 * _heartbeatIntervalMs)
                records.Add(new UnfenceBrokerRecord(broker.Id, broker.Epoch));
        }
        return records;
    }
}
