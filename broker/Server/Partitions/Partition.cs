using System.Buffers.Binary;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Server.Config;
using KafkaOperator.Storage;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Partitions;

/// <summary>The broker-side outcome of a produce append to one partition.</summary>
public readonly record struct ProduceResult(
    ErrorCode Error, long BaseOffset, long LogAppendTime, long LogStartOffset, string? ErrorMessage = null, int FailedBatchIndex = -1,
    IReadOnlyList<RecordError>? RecordErrors = null, long LastOffset = -1);

/// <summary>One rejected record of a produce batch: its index in the batch and why (a produce response's record_errors).</summary>
public readonly record struct RecordError(int BatchIndex, string Message);

/// <summary>
/// One partition this node holds a replica of, for the life of the process, as Kafka's Partition: the log, the
/// topic's effective config, the signal that wakes long-poll fetches, and the replica's role. The role (leader or
/// follower, leader epoch, ISR) changes only when the metadata the controller committed says so
/// (<see cref="ApplyMetadata"/>), under the same lock that appends take, so an append never carries an epoch older
/// than one already applied. As leader it tracks each follower's log end offset (HW = the lowest LEO in the ISR),
/// asks the controller to add caught-up followers to the ISR and to remove lagging ones (AlterPartition), and
/// completes acks=all produces once the HW passes them.
/// Exception policy: storage failures (KafkaStorageException, IOException) become KAFKA_STORAGE_ERROR results.
/// </summary>
public sealed partial class Partition
{
    private static readonly RecordValidationOptions ProduceValidation = new() { RequireSingleBatch = true };
    private static readonly RecordValidationOptions CompactedProduceValidation = ProduceValidation with { RequireKeys = true };
    private static volatile bool _anyFlushesOnAppend;
    private readonly Lock _lock = new();
    private volatile TopicConfig _config;
    private volatile ReplicaRole _role;

    public Partition(string topic, Guid topicId, int index, int localBrokerId, PartitionLog log, TopicConfig config)
    {
        Topic = topic;
        TopicId = topicId;
        Index = index;
        LocalBrokerId = localBrokerId;
        Log = log;
        _config = config;
        _role = ReplicaRole.None;
        NoteFlushPolicy(log.Config.FlushMessages);
        NoteFlushPolicy(config.FlushMessages);
    }

    /// <summary>
    /// True once any partition of this process has a finite flush.messages, so that an append may wait for an
    /// fsync: produce requests then leave the socket I/O thread before they are handled (see Network.IoThreads).
    /// </summary>
    public static bool AnyFlushesOnAppend => _anyFlushesOnAppend;

    public string Topic { get; }

    public Guid TopicId { get; }

    public int Index { get; }

    public int LocalBrokerId { get; }

    /// <summary>The role the last applied metadata gave this replica (immutable; replaced as a whole).</summary>
    public ReplicaRole Role => _role;

    public int LeaderEpoch => _role.LeaderEpoch;

    public bool IsLeader => _role.IsLeader;

    public PartitionLog Log { get; }

    public AppendSignal Signal { get; } = new();

    public TopicConfig Config => _config;

    public long HighWatermark => Log.HighWatermark;

    public long LogStartOffset => Log.LogStartOffset;

    public long LogEndOffset => Log.LogEndOffset;

    /// <summary>Replaces the broker-side view of the topic config; the log itself is updated by the LogManager.</summary>
    public void SetConfig(TopicConfig config)
    {
        NoteFlushPolicy(config.FlushMessages);
        _config = config;
    }

    private static void NoteFlushPolicy(long flushMessages)
    {
        if (flushMessages != long.MaxValue)
            _anyFlushesOnAppend = true;
    }

    /// <summary>
    /// Validates and appends one produce records field. The bytes are rewritten in place (offsets, epoch,
    /// LogAppendTime), so <paramref name="records"/> must be owned by the request.
    /// </summary>
    public ProduceResult Append(Memory<byte> records, short requiredAcks)
    {
        var config = _config;
        if (!_role.IsLeader)
        {
            return new ProduceResult(ErrorCode.NotLeaderOrFollower, -1, -1, -1,
                $"This broker ({LocalBrokerId}) is not the leader of {Topic}-{Index}");
        }
        var minInsyncReplicas = config.MinInsyncReplicas;
        var validation = RecordBatchValidator.Validate(records.Span, config.MaxMessageBytes, null,
            config.Compact ? CompactedProduceValidation : ProduceValidation);
        if (validation.KeylessRecords is { } keyless)
            return KeylessRecordsRejected(keyless);
        if (validation.ErrorCode != ErrorCode.None)
            return new ProduceResult(validation.ErrorCode, -1, -1, Log.LogStartOffset, validation.ErrorMessage, validation.FailedBatchIndex);
        if (!config.LogAppendTime && ViolatesTimestampBounds(validation.FirstBatch, config) is { } message)
            return new ProduceResult(ErrorCode.InvalidTimestamp, -1, -1, Log.LogStartOffset, message, 0);
        if (!config.LogAppendTime)
            StoreTrueMaxTimestamp(records.Span, validation.FirstBatch);
        AppendResult result;
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            lock (_lock)
            {
                // Under the role lock: the epoch stamped on the batch is the current one, never one replaced already.
                var role = _role;
                if (!role.IsLeader)
                    return new ProduceResult(ErrorCode.NotLeaderOrFollower, -1, -1, -1, $"This broker ({LocalBrokerId}) is not the leader of {Topic}-{Index}");
                if (requiredAcks == -1 && role.Isr.Length < minInsyncReplicas)
                {
                    return new ProduceResult(ErrorCode.NotEnoughReplicas, -1, -1, Log.LogStartOffset,
                        $"The size of the current ISR [{string.Join(", ", role.Isr)}] is insufficient to satisfy the min.isr requirement of {minInsyncReplicas} for partition {Topic}-{Index}");
                }
                result = Log.AppendAsLeader(records, role.LeaderEpoch, config.LogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime, now);
                if (result.Error == ErrorCode.None && !result.Duplicate)
                {
                    // flush.messages is a durability promise, as in Kafka's append path: the acknowledgement waits for
                    // the fsync that covers it. The background flusher only serves flush.ms.
                    // Counted in offsets above the recovery point, not by the log's unflushed counter, which the
                    // background flusher may reset before its fsync has finished.
                    if (result.LastOffset + 1 - Log.RecoveryPoint >= Log.Config.FlushMessages)
                        Log.Flush(result.LastOffset + 1);
                    MaybeAdvanceHighWatermarkLocked();
                }
            }
        }
        catch (Exception ex) when (ex is KafkaStorageException or IOException)
        {
            Server.Log.Error($"append to {Topic}-{Index} failed", ex);
            return new ProduceResult(ErrorCode.KafkaStorageError, -1, -1, -1, ex.Message);
        }
        CompleteReadyWaiters(); // a single-replica ISR: the append itself moves the HW
        if (result.Error != ErrorCode.None)
            return new ProduceResult(result.Error, -1, -1, result.LogStartOffset);
        Signal.Notify();
        return new ProduceResult(ErrorCode.None, result.FirstOffset, result.LogAppendTime, result.LogStartOffset, LastOffset: result.LastOffset);
    }

    /// <summary>
    /// As Kafka's LogValidator: compaction keeps the last record per key, so a compacted topic refuses the whole batch
    /// when any record lacks a key, with one record error per such record and Kafka's summary as the error message.
    /// </summary>
    private ProduceResult KeylessRecordsRejected(IReadOnlyList<int> keyless)
    {
        var errors = new List<RecordError>(keyless.Count);
        foreach (var index in keyless)
            errors.Add(new RecordError(index, $"Compacted topic cannot accept message without key in topic partition {Topic}-{Index}."));
        var shown = string.Join(", ", errors.Take(3).Select(e => $"RecordError(batchIndex={e.BatchIndex}, message='{e.Message}')"));
        var message = $"One or more records have been rejected due to {errors.Count} record errors in total, and only showing the first three errors at most: [{shown}]";
        return new ProduceResult(ErrorCode.InvalidRecord, -1, -1, Log.LogStartOffset, message, 0, errors);
    }

    /// <summary>
    /// As Kafka's LogValidator: the stored batch's maxTimestamp is its largest record timestamp, whatever the producer
    /// wrote there, because retention, the time index and ListOffsets trust it. kafkajs 2.2.4 writes the largest
    /// explicit timestamp only, ignoring the records it stamps itself, so a batch mixing old explicit timestamps with
    /// client-stamped ones claimed to be old and time retention deleted fresh records.
    /// </summary>
    private static void StoreTrueMaxTimestamp(Span<byte> records, in RecordBatchInfo batch)
    {
        if (batch.RecordCount == 0 || batch.MaxTimestamp == batch.HeaderMaxTimestamp)
            return;
        var bytes = records.Slice(batch.Position, batch.SizeInBytes);
        BinaryPrimitives.WriteInt64BigEndian(bytes[RecordBatchHeader.MaxTimestampOffset..], batch.MaxTimestamp);
        RecordBatchHeader.WriteCrc(bytes);
    }

    private static string? ViolatesTimestampBounds(in RecordBatchInfo batch, TopicConfig config)
    {
        if (config.TimestampBeforeMaxMs == long.MaxValue && config.TimestampAfterMaxMs == long.MaxValue)
            return null;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (config.TimestampBeforeMaxMs != long.MaxValue && batch.MinTimestamp >= 0 && now - batch.MinTimestamp > config.TimestampBeforeMaxMs)
            return $"Timestamp {batch.MinTimestamp} of message is out of range. The timestamp should be within [{now - config.TimestampBeforeMaxMs}, {SafeAdd(now, config.TimestampAfterMaxMs)}]";
        if (config.TimestampAfterMaxMs != long.MaxValue && batch.MaxTimestamp - now > config.TimestampAfterMaxMs)
            return $"Timestamp {batch.MaxTimestamp} of message is out of range. The timestamp should be within [{SafeSub(now, config.TimestampBeforeMaxMs)}, {now + config.TimestampAfterMaxMs}]";
        return null;
    }

    private static long SafeAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;

    private static long SafeSub(long a, long b) => b > a - long.MinValue ? long.MinValue : a - b;
}
