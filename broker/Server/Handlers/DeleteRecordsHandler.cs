using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Handlers;

/// <summary>DeleteRecords 0–2: moves the log start offset forward (-1 means up to the high watermark).</summary>
public sealed class DeleteRecordsHandler(BrokerServices services) : ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteRecords;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request)
    {
        var response = new DeleteRecordsResponse();
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
                    var (error, low) = partition.Log.DeleteRecordsBefore(offset);
                    result.ErrorCode = (short)error;
                    result.LowWatermark = error == ErrorCode.None ? low : -1;
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
        return new(response);
    }
}
