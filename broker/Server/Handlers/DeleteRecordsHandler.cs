using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Server.Partitions;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Handlers;

/// <summary>
/// DeleteRecords 0–2: moves the leader's log start offset forward (-1 means up to the high watermark), then, as
/// Kafka's delayed DeleteRecords, answers once the low watermark (the lowest log start over the replicas on live
/// brokers) has reached it, with that low watermark; REQUEST_TIMED_OUT after the request's timeout.
/// </summary>
public sealed class DeleteRecordsHandler(BrokerServices services) : ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteRecords;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request)
    {
        var response = new DeleteRecordsResponse();
        var pending = new List<(DeleteRecordsResponse.DeleteRecordsPartitionResult Result, Partition Partition, long Offset)>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var p in topic.Partitions)
            {
                var result = new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                var partition = services.Replicas.Get(topic.Name, p.PartitionIndex);
                if (partition is null)
                {
                    result.ErrorCode = (short)services.Replicas.MissingError(topic.Name, p.PartitionIndex);
                    continue;
                }
                var offset = p.Offset == -1 ? partition.HighWatermark : p.Offset;
                if (offset < 0)
                {
                    result.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
                    continue;
                }
                try
                {
                    var (error, low) = partition.DeleteRecordsAsLeader(offset);
                    result.ErrorCode = (short)error;
                    result.LowWatermark = error == ErrorCode.None ? low : -1;
                    if (error == ErrorCode.None && low < offset)
                        pending.Add((result, partition, offset));
                }
                catch (Exception ex) when (ex is KafkaStorageException or IOException)
                {
                    Log.Error($"DeleteRecords on {topic.Name}-{p.PartitionIndex} failed", ex);
                    result.ErrorCode = (short)ErrorCode.KafkaStorageError;
                }
                catch (ObjectDisposedException)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                }
            }
        }
        if (pending.Count > 0)
        {
            var waits = pending.Select(w => w.Partition.WaitForLowWatermarkAsync(w.Offset, request.TimeoutMs, context.Stopping)).ToArray();
            await Task.WhenAll(waits).ConfigureAwait(false);
            for (var i = 0; i < pending.Count; i++)
            {
                var (error, low) = waits[i].Result;
                pending[i].Result.ErrorCode = (short)error;
                // Kafka keeps the low watermark of the local delete when the wait times out.
                if (error != ErrorCode.RequestTimedOut)
                    pending[i].Result.LowWatermark = low;
            }
        }
        return response;
    }
}
