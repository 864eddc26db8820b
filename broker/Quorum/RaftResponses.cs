namespace KafkaOperator.Quorum;

/// <summary>Answers that carry only an error and the sender's leader/epoch, of the type each request expects.</summary>
public static class RaftResponses
{
    public static RaftResponse Error(RaftRequest request, short errorCode, LeaderAndEpoch leader) => request switch
    {
        VoteRequest => new VoteResponse(errorCode, leader.LeaderId, leader.Epoch, false),
        BeginQuorumEpochRequest => new BeginQuorumEpochResponse(errorCode, leader.LeaderId, leader.Epoch),
        EndQuorumEpochRequest => new EndQuorumEpochResponse(errorCode, leader.LeaderId, leader.Epoch),
        FetchRequest => new FetchResponse(errorCode, leader.LeaderId, leader.Epoch, -1, 0, -1, -1, []),
        FetchSnapshotRequest r => new FetchSnapshotResponse(errorCode, leader.LeaderId, leader.Epoch, r.Snapshot, 0, 0, []),
        ProposeRequest => new ProposeResponse(errorCode, leader.LeaderId, leader.Epoch, -1),
        null => throw new ArgumentNullException(nameof(request)),
        _ => throw new ArgumentException($"unknown request {request.GetType().Name}", nameof(request)),
    };
}
