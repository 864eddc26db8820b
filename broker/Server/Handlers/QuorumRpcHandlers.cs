using KafkaOperator.Protocol;
using KafkaOperator.Quorum;
using KafkaOperator.Quorum.Transport;
using K = KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// The metadata quorum's RPCs on the CONTROLLER listener (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and
/// FetchSnapshot of <c>__cluster_metadata-0</c>, and the project's QuorumPropose): each Kafka request is mapped to
/// the quorum's message (<see cref="KafkaRaftWire"/>), handed to the Raft node, and its answer mapped back. A request
/// of the wrong shape gets Kafka's error without reaching the node. Only the versions this node sends are served
/// (older ones lack PreVote or the follower's high watermark).
/// </summary>
public sealed class QuorumRpcHandler<TRequest, TResponse>(ApiKey apiKey, int localId, IRaftRequestHandler node, Func<LeaderAndEpoch> leader)
    : ApiHandler<TRequest, TResponse>
    where TRequest : class
    where TResponse : class
{
    public override ApiKey ApiKey => apiKey;

    public override short MinVersion => KafkaRaftWire.MinAcceptedVersion(apiKey);

    public override short MaxVersion => KafkaRaftWire.SentVersion(apiKey);

    protected override async ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!KafkaRaftWire.TryFromKafka(request, localId, leader(), out var raft, out var error))
            return (TResponse)error!;
        RaftResponse response;
        try
        {
            response = await node.HandleAsync(raft!, context.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested)
        {
            // The listener is closing (a held fetch at shutdown): an answer, not a failed connection.
            response = RaftResponses.Error(raft!, RaftErrors.BrokerNotAvailable, leader());
        }
        return (TResponse)KafkaRaftWire.ToKafka(response);
    }
}

/// <summary>The CONTROLLER listener's handlers.</summary>
public static class QuorumRpcHandlers
{
    public static IEnumerable<ApiHandler> Create(int localId, IRaftRequestHandler node, Func<LeaderAndEpoch> leader) =>
    [
        new QuorumRpcHandler<K.VoteRequest, K.VoteResponse>(ApiKey.Vote, localId, node, leader),
        new QuorumRpcHandler<K.BeginQuorumEpochRequest, K.BeginQuorumEpochResponse>(ApiKey.BeginQuorumEpoch, localId, node, leader),
        new QuorumRpcHandler<K.EndQuorumEpochRequest, K.EndQuorumEpochResponse>(ApiKey.EndQuorumEpoch, localId, node, leader),
        new QuorumRpcHandler<K.FetchRequest, K.FetchResponse>(ApiKey.Fetch, localId, node, leader),
        new QuorumRpcHandler<K.FetchSnapshotRequest, K.FetchSnapshotResponse>(ApiKey.FetchSnapshot, localId, node, leader),
        new QuorumRpcHandler<K.QuorumProposeRequest, K.QuorumProposeResponse>(ApiKey.QuorumPropose, localId, node, leader),
    ];
}
