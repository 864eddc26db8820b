using KafkaOperator.Client;
using KafkaOperator.Client.Network;
using KafkaOperator.Client.Producer;

namespace KafkaOperator.Bench.Probes;

/// <summary>
/// acks=all writes that find a partition's new leader quickly: the client retries every 5–20 ms, the broker's ack
/// timeout (1 s) answers before the client gives up on a request (2 s), so the client adds little to an outage
/// it measures.
/// </summary>
internal static class AckedWrites
{
    public static readonly byte[] Value = new byte[100];

    public static async Task<KafkaProducer> CreateAsync(string bootstrap, CancellationToken cancellationToken)
    {
        var options = ClusterOptions.For(bootstrap, requestTimeout: TimeSpan.FromSeconds(2));
        options.MaxRetries = int.MaxValue;
        options.RetryBackoff = TimeSpan.FromMilliseconds(5);
        options.MaxRetryBackoff = TimeSpan.FromMilliseconds(20);
        var producerOptions = new KafkaProducerOptions { Acks = -1, Linger = TimeSpan.Zero, AckTimeout = TimeSpan.FromSeconds(1) };
        return await KafkaProducer.ConnectAsync(options, producerOptions, cancellationToken);
    }

    /// <summary>One record; false when the client gave up on it (the next one goes through the same retries).</summary>
    public static async Task<bool> TryProduceAsync(KafkaProducer producer, string topic, int partition, CancellationToken cancellationToken)
    {
        try
        {
            await producer.ProduceAsync(topic, partition, null, Value, cancellationToken: cancellationToken);
            return true;
        }
        catch (Exception e) when (e is KafkaException or KafkaConnectionException or TimeoutException)
        {
            return false;
        }
    }
}
