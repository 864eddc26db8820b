using KafkaOperator.Client.Network;

namespace KafkaOperator.Client;

public sealed class KafkaClientOptions
{
    /// <summary>"host:port" entries; any one reachable broker is enough to discover the rest.</summary>
    public IList<string> BootstrapServers { get; set; } = [];

    public string ClientId { get; set; } = "kafkaoperator-client";

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts after the first for retriable errors (stale leader, unknown topic, lost connection).</summary>
    public int MaxRetries { get; set; } = 5;

    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Opens a connection to host:port; replaceable to run the client over an in-memory transport.</summary>
    public Func<string, int, KafkaConnectionOptions, CancellationToken, Task<KafkaConnection>>? ConnectionFactory { get; set; }

    public static KafkaClientOptions For(params string[] bootstrapServers) => new() { BootstrapServers = bootstrapServers };

    internal KafkaConnectionOptions ToConnectionOptions() => new()
    {
        ClientId = ClientId,
        RequestTimeout = RequestTimeout,
        ConnectTimeout = ConnectTimeout,
    };
}
