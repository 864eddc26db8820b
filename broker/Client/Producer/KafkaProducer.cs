using System.Collections.Concurrent;
using KafkaOperator.Client.Network;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Producer;

/// <summary>
/// Batches records per partition into RecordBatch v2 and sends them to partition leaders in the background.
/// Per partition one batch is in flight at a time, so records of a partition are written in the order they were
/// produced even across retries; different partitions (and brokers, up to MaxInFlightPerBroker requests each) are
/// sent in parallel. <see cref="ProduceAsync(string, int, byte[], byte[], long?, IReadOnlyList{RecordHeaderEntry}, CancellationToken)"/>
/// reports each record's offset; <see cref="Produce"/> is fire-and-forget for load generation, with errors reported
/// by the next <see cref="FlushAsync"/>.
/// </summary>
public sealed partial class KafkaProducer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), PartitionBatches> _partitions = new();
    private readonly SemaphoreSlim _wakeup = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _outstandingGate = new();
    private readonly HashSet<Task<BatchOutcome>> _outstanding = [];
    private readonly bool _ownsCluster;
    private Task _sender = Task.CompletedTask;
    private int _wakeRequested;
    private int _flushRequested;
    private int _roundRobin;
    private Exception? _firstError;
    private bool _disposed;

    private KafkaProducer(KafkaCluster cluster, KafkaProducerOptions options, bool ownsCluster)
    {
        if (options.EnableIdempotence && options.Acks != -1)
        {
            throw new ArgumentException("Idempotence requires Acks = -1.", nameof(options));
        }

        Cluster = cluster;
        Options = options;
        _ownsCluster = ownsCluster;
    }

    public KafkaCluster Cluster { get; }

    public KafkaProducerOptions Options { get; }

    /// <summary>The producer id from InitProducerId when idempotence is on, else -1.</summary>
    public long ProducerId { get; private set; } = -1;

    public short ProducerEpoch { get; private set; } = -1;

    public static async Task<KafkaProducer> CreateAsync(KafkaCluster cluster, KafkaProducerOptions? options = null,
        CancellationToken cancellationToken = default) =>
        await StartAsync(new KafkaProducer(cluster, options ?? new KafkaProducerOptions(), false), cancellationToken).ConfigureAwait(false);

    public static async Task<KafkaProducer> ConnectAsync(KafkaClientOptions clientOptions, KafkaProducerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var cluster = await KafkaCluster.ConnectAsync(clientOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            return await StartAsync(new KafkaProducer(cluster, options ?? new KafkaProducerOptions(), true), cancellationToken)
                .ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<KafkaProducer> StartAsync(KafkaProducer producer, CancellationToken cancellationToken)
    {
        if (producer.Options.EnableIdempotence)
        {
            var response = await producer.Cluster.SendToAnyAsync<InitProducerIdRequest, InitProducerIdResponse>(
                new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = int.MaxValue },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            KafkaException.ThrowIfError(response.ErrorCode, "InitProducerId failed.");
            producer.ProducerId = response.ProducerId;
            producer.ProducerEpoch = response.ProducerEpoch;
        }

        producer._sender = Task.Run(producer.SendLoopAsync, CancellationToken.None);
        return producer;
    }

    /// <summary>Produces one record to a partition and completes with its offset once the broker acknowledged it.</summary>
    public async Task<DeliveryResult> ProduceAsync(string topic, int partition, byte[]? key, byte[]? value,
        long? timestamp = null, IReadOnlyList<RecordHeaderEntry>? headers = null, CancellationToken cancellationToken = default)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (task, index) = Append(topic, partition, ts, key, key is null, value, value is null, headers, fireAndForget: false);
        var outcome = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new DeliveryResult(topic, partition, outcome.BaseOffset < 0 ? -1 : outcome.BaseOffset + index,
            outcome.LogAppendTime >= 0 ? outcome.LogAppendTime : ts);
    }

    /// <summary>Produces to a partition chosen from the key (murmur2, as the Java client) or round-robin for null keys.</summary>
    public async Task<DeliveryResult> ProduceAsync(string topic, byte[]? key, byte[]? value, long? timestamp = null,
        IReadOnlyList<RecordHeaderEntry>? headers = null, CancellationToken cancellationToken = default)
    {
        var metadata = await Cluster.GetTopicAsync(topic, cancellationToken: cancellationToken).ConfigureAwait(false);
        var partition = ChoosePartition(key, metadata.Partitions.Count);
        return await ProduceAsync(topic, partition, key, value, timestamp, headers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fire-and-forget: appends to the partition's batch without allocating per record. Delivery errors surface from
    /// the next <see cref="FlushAsync"/>.
    /// </summary>
    public void Produce(string topic, int partition, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value,
        long timestamp = -1, IReadOnlyList<RecordHeaderEntry>? headers = null)
    {
        _ = Append(topic, partition, timestamp < 0 ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : timestamp,
            key, keyIsNull, value, false, headers, fireAndForget: true);
    }

    /// <summary>
    /// Sends every buffered record now and waits until all are acknowledged. Throws the first delivery error of a
    /// fire-and-forget record since the last flush (records produced with ProduceAsync report their own errors).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task<BatchOutcome>[] pending;
        lock (_outstandingGate)
        {
            pending = [.. _outstanding];
        }

        Interlocked.Exchange(ref _flushRequested, 1);
        Wake();
        try
        {
            await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Reported through _firstError below, as for fire-and-forget records.
        }

        var error = Interlocked.Exchange(ref _firstError, null);
        if (error is not null)
        {
            throw error;
        }
    }

    internal int ChoosePartition(byte[]? key, int partitionCount)
    {
        if (partitionCount <= 0)
        {
            throw new KafkaException(ErrorCode.LeaderNotAvailable, "Topic has no partitions yet.");
        }

        return key is null
            ? (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)partitionCount)
            : (Murmur2(key) & 0x7fffffff) % partitionCount;
    }

    /// <summary>Kafka's murmur2 (seed 0x9747b28c), so keyed records land where the Java client would put them.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = (uint)(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        switch (length - i)
        {
            case 3:
                h ^= (uint)data[i + 2] << 16;
                h ^= (uint)data[i + 1] << 8;
                h ^= data[i];
                h *= m;
                break;
            case 2:
                h ^= (uint)data[i + 1] << 8;
                h ^= data[i];
                h *= m;
                break;
            case 1:
                h ^= data[i];
                h *= m;
                break;
            default:
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }

    private (Task<BatchOutcome> Task, int Index) Append(string topic, int partition, long timestamp, ReadOnlySpan<byte> key,
        bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<RecordHeaderEntry>? headers, bool fireAndForget)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        var batches = _partitions.GetOrAdd((topic, partition), k => new PartitionBatches(k.Topic, k.Partition, Options.Compression));
        bool full;
        bool opened;
        (Task<BatchOutcome> Task, int Index) appended;
        lock (batches.Gate)
        {
            opened = batches.OpenCount == 0;
            appended = batches.Append(timestamp, key, keyIsNull, value, valueIsNull, headers, fireAndForget);
            if (opened)
            {
                Track(appended.Task);
            }

            full = batches.OpenSize >= Options.BatchSize;
            if (full)
            {
                batches.Seal(ProducerId, ProducerEpoch);
            }
        }

        // A new batch changes the sender's next linger deadline; a full one is ready now.
        if (full || opened)
        {
            Wake();
        }

        return appended;
    }

    private void Track(Task<BatchOutcome> task)
    {
        lock (_outstandingGate)
        {
            _outstanding.Add(task);
        }

        _ = task.ContinueWith(static (t, state) =>
        {
            var producer = (KafkaProducer)state!;
            lock (producer._outstandingGate)
            {
                producer._outstanding.Remove(t);
            }

            _ = t.Exception; // observed here; fire-and-forget failures are recorded by the sender
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wakeup.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await FlushAsync().WaitAsync(Cluster.Options.RequestTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KafkaException or KafkaConnectionException or TimeoutException)
        {
            // Disposing must not throw; callers who care about delivery call FlushAsync first.
        }

        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sender.ConfigureAwait(false);
        foreach (var batches in _partitions.Values)
        {
            batches.Dispose();
        }

        _stop.Dispose();
        if (_ownsCluster)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
