using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Client.Admin;

// Voter changes of the metadata quorum (KIP-853), as Kafka's Admin.addRaftVoter / removeRaftVoter: sent to any broker,
// which hands them to the quorum leader; answered once the new voter set is committed.
public sealed partial class KafkaAdminClient
{
    /// <summary>
    /// Makes node <paramref name="voterId"/>, which must follow the metadata log as a caught-up observer, a voter,
    /// reachable at <paramref name="host"/>:<paramref name="port"/> on <paramref name="listener"/>. Throws
    /// <see cref="KafkaException"/> with Kafka's error: DUPLICATE_VOTER, REQUEST_TIMED_OUT (not caught up, another
    /// change pending, or not committed in time), INCONSISTENT_CLUSTER_ID.
    /// </summary>
    public async Task AddRaftVoterAsync(int voterId, string host, int port, string listener, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(listener);
        var request = new AddRaftVoterRequest
        {
            TimeoutMs = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue),
            VoterId = voterId,
            Listeners = [new RaftVoterListener { Name = listener, Host = host, Port = checked((ushort)port) }],
        };
        var response = await SendToAnyAsync<AddRaftVoterRequest, AddRaftVoterResponse>(ApiKey.AddRaftVoter, request, cancellationToken).ConfigureAwait(false);
        if (Error(response.ErrorCode, response.ErrorMessage) is { } error)
            throw error;
    }

    /// <summary>Takes voter <paramref name="voterId"/> out of the voter set (the leader too: it hands over). VOTER_NOT_FOUND for a non-voter.</summary>
    public async Task RemoveRaftVoterAsync(int voterId, CancellationToken cancellationToken = default)
    {
        var request = new RemoveRaftVoterRequest { VoterId = voterId };
        var response = await SendToAnyAsync<RemoveRaftVoterRequest, RemoveRaftVoterResponse>(ApiKey.RemoveRaftVoter, request, cancellationToken).ConfigureAwait(false);
        if (Error(response.ErrorCode, response.ErrorMessage) is { } error)
            throw error;
    }

    private async Task<TResponse> SendToAnyAsync<TRequest, TResponse>(ApiKey api, TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TResponse : class
    {
        var connection = await Cluster.GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!connection.SupportsApi(api))
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"Broker {connection.Endpoint} does not implement {api}.");
        return await connection.SendAsync<TRequest, TResponse>(request, (Network.ApiVersionRange?)null, cancellationToken).ConfigureAwait(false);
    }
}
