using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Producer;

public sealed class KafkaProducerOptions
{
    /// <summary>0: no response; 1: leader wrote it; -1: all in-sync replicas wrote it.</summary>
    public short Acks { get; set; } = -1;

    /// <summary>How long a partition's batch may wait for more records before it is sent.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A batch is sent once its uncompressed size reaches this many bytes.</summary>
    public int BatchSize { get; set; } = 64 * 1024;

    public CompressionType Compression { get; set; } = CompressionType.None;

    /// <summary>Gets a producer id (InitProducerId) and numbers batches so the broker drops duplicates on retry.</summary>
    public bool EnableIdempotence { get; set; }

    /// <summary>Produce requests in flight per broker connection.</summary>
    public int MaxInFlightPerBroker { get; set; } = 5;

    /// <summary>How long the broker may wait for replication (acks=-1) before answering.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Kafka's delivery.timeout.ms: how long after its batch opened a record may still be retried. A leader moving
    /// (a controlled shutdown, a reassignment) or a broker restarting are retriable and take seconds; the Java
    /// producer rides them out within this bound, and so does this one.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Kafka's retries: attempts after the first for a retriable error (unbounded by default, as Kafka; <see cref="DeliveryTimeout"/> bounds them).</summary>
    public int Retries { get; set; } = int.MaxValue;
}

/// <summary>Where a record was written: its partition and offset (-1 with acks=0).</summary>
public readonly record struct DeliveryResult(string Topic, int Partition, long Offset, long Timestamp);
