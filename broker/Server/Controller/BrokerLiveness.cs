using KafkaOperator.Quorum;
using KafkaOperator.Server.Cluster;

namespace KafkaOperator.Server.Controller;

/// <summary>
/// The active controller's view of which brokers are alive, as KRaft's BrokerHeartbeatManager keeps it. Every
/// broker fetches the metadata log from the quorum leader (as a voter, or as an observer when it is broker-only), so
/// those fetches are its heartbeats: a broker whose
/// last fetch is older than broker.session.timeout.ms is fenced (its partitions lose their leader), and a fenced
/// broker that fetches again is unfenced. Only the leader decides, and only from what it saw in its own term: a
/// new leader gives every broker a full session before fencing it.
/// </summary>
public sealed class BrokerLiveness
{
    private readonly int _nodeId;
    private readonly long _sessionTimeoutMs;
    private readonly long _heartbeatIntervalMs;

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
        var records = new List<MetadataRecord>();
        foreach (var broker in image.Brokers.Values)
        {
            if (broker.Id == _nodeId)
            {
                // The deciding node is alive by definition: once registered again after a restart it is unfenced
                // (when it leads nothing any more) like any other broker, never fenced by itself.
                if (broker.Fenced && !broker.ShuttingDown)
                    records.Add(new UnfenceBrokerRecord(broker.Id, broker.Epoch));
                continue;
            }
            // Not seen this term (an observer that never fetched, or one forgotten): silent since the term began.
            var voter = voters.FirstOrDefault(v => v.Id == broker.Id) ?? new VoterState(broker.Id, -1, -1);
            var silentMs = voter.LastFetchMs < 0 ? leaderForMs : self.LastFetchMs - voter.LastFetchMs;
            if (!broker.Fenced && silentMs > _sessionTimeoutMs)
                records.Add(new FenceBrokerRecord(broker.Id, broker.Epoch));
            else if (broker.Fenced && !broker.ShuttingDown && voter.LastFetchMs >= 0 && silentMs <= 2 * _heartbeatIntervalMs)
                records.Add(new UnfenceBrokerRecord(broker.Id, broker.Epoch));
        }
        return records;
    }
}
