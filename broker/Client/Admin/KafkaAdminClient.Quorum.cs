using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

public sealed partial class KafkaAdminClient
{
    /// <summary>The KRaft metadata topic whose partition 0 DescribeQuorum describes.</summary>
    public const string MetadataTopic = "__cluster_metadata";

    /// <summary>
    /// The metadata quorum as its leader reports it (DescribeQuorum): leader, epoch, high watermark and every voter.
    /// Asks any broker; a node that does not lead answers NOT_LEADER_OR_FOLLOWER with the leader's id and (v2) the
    /// voters' CONTROLLER listeners, and the request goes to the leader: through its broker listener when it is a
    /// registered broker, else through the CONTROLLER listener the answer names (a controller-only leader, which
    /// Metadata never lists). Retried while an election is on. Throws <see cref="KafkaException"/> when the cluster
    /// has no quorum (UNKNOWN_TOPIC_OR_PARTITION: a broker from before single nodes ran as a quorum of one) or does
    /// not implement DescribeQuorum.
    /// </summary>
    public async Task<QuorumDescription> DescribeQuorumAsync(CancellationToken cancellationToken = default)
    {
        var partition = await Cluster.ExecuteAsync(async ct =>
        {
            var connection = await Cluster.GetAnyConnectionAsync(ct).ConfigureAwait(false);
            var (result, nodes) = await SendDescribeQuorumAsync(connection, ct).ConfigureAwait(false);
            if ((ErrorCode)result.ErrorCode == ErrorCode.NotLeaderOrFollower && result.LeaderId >= 0 && result.LeaderId != connection.BrokerId)
            {
                var leader = await LeaderConnectionAsync(result.LeaderId, nodes, ct).ConfigureAwait(false);
                (result, _) = await SendDescribeQuorumAsync(leader, ct).ConfigureAwait(false);
            }

            // Only "not the leader (yet)" is worth a retry; any other error is the answer.
            return (ErrorCode)result.ErrorCode == ErrorCode.NotLeaderOrFollower
                ? throw new KafkaException(ErrorCode.NotLeaderOrFollower, result.LeaderId < 0
                    ? "The metadata quorum has no leader (an election is on)."
                    : $"Node {result.LeaderId} is not the quorum leader it was said to be.")
                : result;
        }, refreshTopics: [], cancellationToken).ConfigureAwait(false);

        if (Error(partition.ErrorCode, null) is { } error)
        {
            throw (ErrorCode)partition.ErrorCode == ErrorCode.UnknownTopicOrPartition
                ? new KafkaException(error.Code, $"The cluster has no metadata quorum ({MetadataTopic}-0 is not known to the broker).")
                : error;
        }

        return Describe(partition);
    }

    /// <summary>The quorum leader's broker listener when it is a registered broker, else its CONTROLLER listener from <paramref name="nodes"/>.</summary>
    private async Task<Network.KafkaConnection> LeaderConnectionAsync(int leaderId, List<DescribeQuorumResponse.Node> nodes, CancellationToken ct)
    {
        if (Cluster.Metadata.Broker(leaderId) is null && nodes.FirstOrDefault(n => n.NodeId == leaderId)?.Listeners.FirstOrDefault() is { } listener)
            return await Cluster.GetNodeConnectionAsync(leaderId, listener.Host, listener.Port, ct).ConfigureAwait(false);
        return await Cluster.GetConnectionAsync(leaderId, ct).ConfigureAwait(false);
    }

    internal static QuorumDescription Describe(DescribeQuorumResponse.PartitionData partition) =>
        new(partition.LeaderId, partition.LeaderEpoch, partition.HighWatermark,
            partition.CurrentVoters.Select(v => Replica(v, partition.HighWatermark)).OrderBy(v => v.Id).ToList(),
            partition.Observers.Select(v => Replica(v, partition.HighWatermark)).OrderBy(v => v.Id).ToList());

    private static QuorumReplica Replica(DescribeQuorumResponse.ReplicaState state, long highWatermark) =>
        new(state.ReplicaId, state.LogEndOffset, state.LastFetchTimestamp, state.LastCaughtUpTimestamp,
            state.LogEndOffset < 0 ? -1 : Math.Max(0, highWatermark - state.LogEndOffset));

    private static async Task<(DescribeQuorumResponse.PartitionData Partition, List<DescribeQuorumResponse.Node> Nodes)> SendDescribeQuorumAsync(
        Network.KafkaConnection connection, CancellationToken cancellationToken)
    {
        if (!connection.SupportsApi(ApiKey.DescribeQuorum))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"Broker {connection.Endpoint} does not implement DescribeQuorum.");
        }

        var request = new DescribeQuorumRequest { Topics = [new() { TopicName = MetadataTopic, Partitions = [new() { PartitionIndex = 0 }] }] };
        var response = await connection.SendAsync<DescribeQuorumRequest, DescribeQuorumResponse>(request, (Network.ApiVersionRange?)null, cancellationToken)
            .ConfigureAwait(false);
        if (Error(response.ErrorCode, null) is { } error)
        {
            throw error;
        }

        var partition = response.Topics.FirstOrDefault(t => t.TopicName == MetadataTopic)?.Partitions.FirstOrDefault(p => p.PartitionIndex == 0)
            ?? throw Missing($"{MetadataTopic}-0");
        return (partition, response.Nodes);
    }
}
