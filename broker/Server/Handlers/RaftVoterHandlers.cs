using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Quorum.Voters;
using KafkaOperator.Server.Controller;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// AddRaftVoter 0–1 (KIP-853): makes a node that follows the metadata log as an observer a voter. Any broker takes it
/// and the quorum leader decides, in Kafka's order: REQUEST_TIMED_OUT while the leader has not committed an entry of
/// its epoch or another voter change is uncommitted, DUPLICATE_VOTER for a voter, REQUEST_TIMED_OUT for a node that
/// has not caught up (fetched from the high watermark within the fetch timeout), else the new voter set is appended
/// and the answer waits for its commit (v1's AckWhenCommitted=false: for the append) up to TimeoutMs. The voter's
/// address is its listener named as controller.listener.names (else its first one). Directory ids are kept but
/// not checked (this broker has none).
/// </summary>
public sealed class AddRaftVoterHandler(BrokerServices services) : ApiHandler<AddRaftVoterRequest, AddRaftVoterResponse>
{
    public override ApiKey ApiKey => ApiKey.AddRaftVoter;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<AddRaftVoterResponse?> HandleAsync(RequestContext context, AddRaftVoterRequest request)
    {
        if (RaftVoterRequests.WrongCluster(services, request.ClusterId) is { } wrong)
            return new AddRaftVoterResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId, ErrorMessage = wrong };
        if (RaftVoterRequests.EndpointOf(services, request.Listeners) is not { } endpoint)
            return new AddRaftVoterResponse { ErrorCode = (short)ErrorCode.InvalidRequest, ErrorMessage = $"AddRaftVoter for {request.VoterId} names no listener to reach it" };
        var command = new VoterCommand(VoterCommandKind.Add, new Voter(request.VoterId, request.VoterDirectoryId, endpoint));
        var result = await services.Quorum.ChangeVotersAsync(command, request.TimeoutMs, context.Version < 1 || request.AckWhenCommitted).ConfigureAwait(false);
        return new AddRaftVoterResponse { ErrorCode = result.ErrorCode, ErrorMessage = result.Message };
    }
}

/// <summary>
/// RemoveRaftVoter 0 (KIP-853): takes a voter out of the voter set, decided by the quorum leader as AddRaftVoter is;
/// VOTER_NOT_FOUND for an id that is not a voter (or the last one). A removed leader leads until the change commits,
/// then resigns; the removed node follows the log as an observer.
/// </summary>
public sealed class RemoveRaftVoterHandler(BrokerServices services) : ApiHandler<RemoveRaftVoterRequest, RemoveRaftVoterResponse>
{
    public override ApiKey ApiKey => ApiKey.RemoveRaftVoter;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<RemoveRaftVoterResponse?> HandleAsync(RequestContext context, RemoveRaftVoterRequest request)
    {
        if (RaftVoterRequests.WrongCluster(services, request.ClusterId) is { } wrong)
            return new RemoveRaftVoterResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId, ErrorMessage = wrong };
        var command = new VoterCommand(VoterCommandKind.Remove, new Voter(request.VoterId, request.VoterDirectoryId, ""));
        var result = await services.Quorum.ChangeVotersAsync(command, services.Config.QuorumRequestTimeoutMs).ConfigureAwait(false);
        return new RemoveRaftVoterResponse { ErrorCode = result.ErrorCode, ErrorMessage = result.Message };
    }
}

/// <summary>
/// UpdateRaftVoter 0 (KIP-853): a voter's new address, decided by the quorum leader like the other changes
/// (VOTER_NOT_FOUND for a non-voter). The answer names the leader and its quorum address as this node knows them.
/// </summary>
public sealed class UpdateRaftVoterHandler(BrokerServices services) : ApiHandler<UpdateRaftVoterRequest, UpdateRaftVoterResponse>
{
    public override ApiKey ApiKey => ApiKey.UpdateRaftVoter;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<UpdateRaftVoterResponse?> HandleAsync(RequestContext context, UpdateRaftVoterRequest request)
    {
        var response = new UpdateRaftVoterResponse();
        if (RaftVoterRequests.WrongCluster(services, request.ClusterId) is not null)
            response.ErrorCode = (short)ErrorCode.InconsistentClusterId;
        else if (request.KRaftVersionFeature.MaxSupportedVersion < services.Quorum.KRaftVersion)
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
        else if (RaftVoterRequests.EndpointOf(services, request.Listeners) is not { } endpoint)
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
        else
        {
            var command = new VoterCommand(VoterCommandKind.Update, new Voter(request.VoterId, request.VoterDirectoryId, endpoint));
            response.ErrorCode = (await services.Quorum.ChangeVotersAsync(command, services.Config.QuorumRequestTimeoutMs).ConfigureAwait(false)).ErrorCode;
        }
        var leader = services.Quorum.Leader;
        response.CurrentLeader.LeaderId = leader.LeaderId;
        response.CurrentLeader.LeaderEpoch = leader.Epoch;
        if (services.Quorum.CurrentVoters().FirstOrDefault(v => v.Id == leader.LeaderId) is { Port: > 0 } address)
        {
            response.CurrentLeader.Host = address.Host;
            response.CurrentLeader.Port = address.Port;
        }
        return response;
    }
}

internal static class RaftVoterRequests
{
    /// <summary>A message when <paramref name="clusterId"/> is set and not this cluster's; null otherwise.</summary>
    public static string? WrongCluster(BrokerServices services, string? clusterId) =>
        clusterId is not null && clusterId != services.Quorum.Store.ClusterId
            ? $"the request is for cluster {clusterId}, this is cluster {services.Quorum.Store.ClusterId}"
            : null;

    /// <summary>The quorum address among <paramref name="listeners"/>: the controller listener's, else the first; null when none.</summary>
    public static string? EndpointOf(BrokerServices services, List<RaftVoterListener> listeners)
    {
        var name = services.Config.ControllerListener?.Name;
        var chosen = listeners.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)) ?? listeners.FirstOrDefault();
        return chosen is null || chosen.Host.Length == 0 || chosen.Port == 0 ? null : QuorumHost.Endpoint(chosen.Host, chosen.Port);
    }
}
