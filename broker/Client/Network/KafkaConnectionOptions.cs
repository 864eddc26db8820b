namespace KafkaOperator.Client.Network;

public sealed class KafkaConnectionOptions
{
    public string ClientId { get; set; } = "kafkaoperator-client";

    /// <summary>How long one request may wait for its response before the caller gets a TimeoutException.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest response frame accepted; a bigger size prefix means a corrupt stream, not a real response.</summary>
    public int MaxResponseSize { get; set; } = 256 * 1024 * 1024;

    /// <summary>
    /// When true a response completes its request on the connection's read loop: the caller's continuation runs
    /// there at once instead of waiting for a thread-pool worker (on a busy machine that wake-up costs milliseconds
    /// per request). Only for a caller that keeps one request in flight and whose continuation does not block (the
    /// broker's replica fetchers); the read loop reads nothing else meanwhile.
    /// </summary>
    public bool CompleteOnReadLoop { get; set; }

    /// <summary>When false the connection skips the ApiVersions handshake and uses the client's highest versions.</summary>
    public bool NegotiateApiVersions { get; set; } = true;
}
