using System.Buffers;
using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Records;
using KafkaOperator.Storage;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Groups.Persistence;

/// <summary>
/// The log of one __consumer_offsets partition this node leads, with the leader epoch to stamp appends with. With
/// <paramref name="Append"/> the server appends as the partition's leader (so that followers replicate it and the
/// high watermark follows the ISR); without it (tests) the log is appended to directly and is its own ISR.
/// </summary>
public readonly record struct OffsetsPartitionLog(PartitionLog Log, int LeaderEpoch,
    Func<Memory<byte>, (bool Ok, ErrorCode Error, long LastOffset)>? Append = null);

/// <summary>
/// The coordinator's view of __consumer_offsets: appends its records as the partition leader and replays a
/// partition on load. The server supplies the resolver (its replica manager's logs) and is told of each append
/// (to wake long-poll fetches); tests open PartitionLogs directly.
/// Exception policy: append failures are returned as error codes (storage exceptions become KafkaStorageError);
/// replay lets storage exceptions propagate so a partition that cannot be read is not served half-loaded.
/// </summary>
public sealed class OffsetsTopicLogs(int partitionCount, Func<int, OffsetsPartitionLog?> resolve, Action<int>? appended = null)
{
    private const int ReadChunkBytes = 1024 * 1024;

    public int PartitionCount { get; } = partitionCount > 0 ? partitionCount : throw new ArgumentOutOfRangeException(nameof(partitionCount));

    public bool IsHosted(int partition) => resolve(partition) is not null;

    /// <summary>Appends the records as one batch; a record with a null value is a tombstone.</summary>
    public ErrorCode Append(int partition, IReadOnlyList<(byte[] Key, byte[]? Value)> records, long nowMs)
    {
        if (records.Count == 0)
            return ErrorCode.None;
        if (resolve(partition) is not { } target)
            return ErrorCode.NotLeaderOrFollower;
        byte[] batch;
        using (var builder = new RecordBatchBuilder())
        {
            foreach (var (key, value) in records)
                builder.Add(nowMs, key, value);
            batch = builder.ToArray();
        }
        if (target.Append is { } append)
        {
            var (ok, error, _) = append(batch);
            if (ok)
                appended?.Invoke(partition);
            return ok ? ErrorCode.None : error;
        }
        AppendResult result;
        try
        {
            result = target.Log.AppendAsLeader(batch, target.LeaderEpoch, TimestampType.CreateTime, nowMs);
        }
        catch (Exception ex) when (ex is KafkaStorageException or IOException or ObjectDisposedException)
        {
            return ErrorCode.KafkaStorageError;
        }
        if (result.Error != ErrorCode.None)
            return result.Error;
        // This node is the whole ISR of the partition: the append is committed as soon as it is in the log.
        if (target.Log.HighWatermark < result.LastOffset + 1)
            target.Log.HighWatermark = result.LastOffset + 1;
        appended?.Invoke(partition);
        return ErrorCode.None;
    }

    /// <summary>Reads every record of the partition from its log start, in offset order.</summary>
    public void Replay(int partition, Action<CoordinatorRecord> apply)
    {
        ArgumentNullException.ThrowIfNull(apply);
        if (resolve(partition) is not { } target)
            return;
        var log = target.Log;
        var offset = log.LogStartOffset;
        var end = log.LogEndOffset;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var scratch = new PooledBufferWriter();
        while (offset < end)
        {
            var read = log.Read(offset, ReadChunkBytes, end, minOneBatch: true);
            if (read.Error != ErrorCode.None || read.Records.SizeInBytes == 0)
                break;
            buffer.Clear();
            read.Records.WriteTo(buffer);
            var next = ApplyBatches(buffer.WrittenMemory, offset, scratch, apply);
            if (next <= offset)
                break;
            offset = next;
        }
    }

    private static long ApplyBatches(ReadOnlyMemory<byte> bytes, long from, PooledBufferWriter scratch, Action<CoordinatorRecord> apply)
    {
        var next = from;
        foreach (var batch in new RecordBatchEnumerator(bytes.Span))
        {
            var header = batch.Header;
            next = Math.Max(next, header.BaseOffset + header.LastOffsetDelta + 1);
            if (header.IsControl)
                continue;
            foreach (var record in batch.GetRecords(scratch))
            {
                if (record.Offset < from || record.KeyIsNull)
                    continue;
                if (CoordinatorRecordCodec.TryDecode(record.Key, record.Value, record.ValueIsNull) is { } decoded)
                    apply(decoded);
            }
        }
        return next;
    }
}
