using KafkaOperator.Protocol.Records;

namespace KafkaOperator.Client.Producer;

/// <summary>The outcome of one sent batch, shared by all its records (each adds its index to the base offset).</summary>
internal readonly record struct BatchOutcome(long BaseOffset, long LogAppendTime);

/// <summary>A batch sealed for sending: its encoded bytes and the completion its records wait on.</summary>
internal sealed class ReadyBatch(string topic, int partition, byte[] bytes, int count, TaskCompletionSource<BatchOutcome> completion,
    bool hasFireAndForget, DateTime openedAt)
{
    /// <summary>When its first record was appended: the delivery timeout counts from here.</summary>
    public DateTime OpenedAt { get; } = openedAt;

    /// <summary>Some records of this batch were produced without a task to report their error on.</summary>
    public bool HasFireAndForget { get; } = hasFireAndForget;

    public string Topic { get; } = topic;
    public int Partition { get; } = partition;
    public byte[] Bytes { get; } = bytes;
    public int Count { get; } = count;
    public TaskCompletionSource<BatchOutcome> Completion { get; } = completion;
    public int Attempts { get; set; }
}

/// <summary>
/// The open batch of one partition plus the sealed batches waiting to be sent. At most one batch per partition is
/// in one Produce request (the broker requires that from v3), so the sealed ones queue here in order.
/// </summary>
internal sealed class PartitionBatches : IDisposable
{
    private readonly RecordBatchBuilder _builder;
    private TaskCompletionSource<BatchOutcome>? _completion;
    private bool _openHasFireAndForget;

    public PartitionBatches(string topic, int partition, CompressionType compression)
    {
        Topic = topic;
        Partition = partition;
        _builder = new RecordBatchBuilder(compression);
    }

    public string Topic { get; }
    public int Partition { get; }
    public Lock Gate { get; } = new();
    public Queue<ReadyBatch> Ready { get; } = new();
    public DateTime OpenedAt { get; private set; }
    public int OpenCount => _builder.Count;
    public int OpenSize => _builder.UncompressedSizeInBytes;
    public int NextSequence { get; set; }

    /// <summary>True while a batch of this partition is in flight; keeps batches of a partition in order.</summary>
    public bool Sending { get; set; }

    /// <summary>Adds a record to the open batch; returns the task its batch completes and its index in the batch.</summary>
    public (Task<BatchOutcome> Task, int Index) Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<RecordHeaderEntry>? headers, bool fireAndForget)
    {
        _openHasFireAndForget |= fireAndForget;
        if (_builder.Count == 0)
        {
            OpenedAt = DateTime.UtcNow;
            _completion = new TaskCompletionSource<BatchOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var index = _builder.Count;
        _builder.Add(timestamp, key, keyIsNull, value, valueIsNull, headers);
        return (_completion!.Task, index);
    }

    /// <summary>Moves the open batch to <see cref="Ready"/>; producer id and sequence are stamped here.</summary>
    public void Seal(long producerId, short producerEpoch)
    {
        if (_builder.Count == 0)
        {
            return;
        }

        if (producerId >= 0)
        {
            _builder.ProducerId = producerId;
            _builder.ProducerEpoch = producerEpoch;
            _builder.BaseSequence = NextSequence;
            NextSequence += _builder.Count;
        }

        Ready.Enqueue(new ReadyBatch(Topic, Partition, _builder.ToArray(), _builder.Count, _completion!, _openHasFireAndForget, OpenedAt));
        _builder.Clear();
        _completion = null;
        _openHasFireAndForget = false;
    }

    public void Dispose() => _builder.Dispose();
}
