namespace KafkaOperator.Quorum;

/// <summary>
/// How the quorum reaches other voters. Send never blocks and never throws for network reasons: the outcome,
/// a response or null when the request failed or timed out, arrives through <paramref name="onResponse"/>, which
/// the client re-posts onto its own event loop. Inbound requests are handed to
/// <see cref="IRaftRequestHandler.HandleAsync"/>.
/// </summary>
public interface IRaftTransport
{
    void Send(int destinationId, RaftRequest request, Action<RaftResponse?> onResponse);

    /// <summary>
    /// A node's address learnt from a response (an observer told where the leader is); a transport that knows every
    /// destination already ignores it.
    /// </summary>
    void Learn(int id, string endpoint)
    {
    }
}

/// <summary>What the transport calls for each inbound request; the quorum client implements it.</summary>
public interface IRaftRequestHandler
{
    Task<RaftResponse> HandleAsync(RaftRequest request, CancellationToken cancellationToken = default);
}
