using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Partitions;

namespace KafkaOperator.Server.Handlers;

public sealed partial class FetchHandler
{
    /// <summary>
    /// The partition this node serves the fetch from: the leader's replica, or, for a consumer sending client
    /// metadata (Fetch v11+, Kafka's fetchOnlyFromLeader = false), a follower's too, read up to the follower's HW.
    /// Between that HW and the follower's log end the answer is empty (the consumer waits, as at a leader's HW);
    /// beyond the log end it is OFFSET_OUT_OF_RANGE, on which clients go back to the leader.
    /// </summary>
    private Partition? Lookup(FetchRequest.FetchTopic topic, int index, short version, bool fromFollowerAllowed)
    {
        if (!fromFollowerAllowed)
            return version >= 13 ? services.Replicas.Get(topic.TopicId, index) : services.Replicas.Get(topic.Topic, index);
        var hosted = version >= 13 ? services.Replicas.GetHosted(topic.TopicId, index) : services.Replicas.GetHosted(topic.Topic, index);
        // A replica that neither leads nor follows a live leader (stopped, or between roles) has nothing to serve.
        return hosted is { IsLeader: true } || hosted?.Role.LeaderId >= 0 ? hosted : null;
    }

    /// <summary>
    /// Leader, replica.selector.class set: the replica a consumer in <paramref name="clientRack"/> should read from
    /// (-1 for this leader), from the in-sync followers that already hold <paramref name="fetchOffset"/> and that the
    /// consumer can reach (registered, unfenced, with its listener), as Kafka's findPreferredReadReplica.
    /// </summary>
    private int PreferredReadReplica(Partition partition, string? clientRack, long fetchOffset, short version, long now)
    {
        if (version < 11 || string.IsNullOrEmpty(clientRack) || !services.Config.RackAwareReplicaSelector || !partition.IsLeader)
            return -1;
        var image = services.Metadata.Image;
        var listener = services.AdvertisedListener.Name;
        var followers = new List<ReadReplicaView>();
        foreach (var (id, end, sinceCaughtUp) in partition.ReadReplicaCandidates(fetchOffset, now))
        {
            if (image.Brokers.TryGetValue(id, out var broker) && !broker.Fenced
                && broker.Endpoints.Any(e => string.Equals(e.Name, listener, StringComparison.OrdinalIgnoreCase)))
                followers.Add(new ReadReplicaView(id, broker.Rack, end, sinceCaughtUp));
        }
        var leader = new ReadReplicaView(services.Config.NodeId, services.Config.Rack, partition.LogEndOffset, 0);
        return ReadReplicaSelector.Select(clientRack, leader, followers);
    }
}
