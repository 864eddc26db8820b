using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;
using KafkaOperator.Storage.Io;

namespace KafkaOperator.Server.Handlers;

/// <summary>ListOffsets 1–8: earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), by timestamp.</summary>
public sealed class ListOffsetsHandler(BrokerServices services) : ApiHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    private const long Latest = -1;
    private const long Earliest = -2;
    private const long MaxTimestamp = -3;
    private const long EarliestLocal = -4;

    public override ApiKey ApiKey => ApiKey.ListOffsets;

    public override short MinVersion => 1;

    public override short MaxVersion => 8;

    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        var seen = new HashSet<(string, int)>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var p in topic.Partitions)
            {
                var result = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = p.PartitionIndex };
                topicResult.Partitions.Add(result);
                if (!seen.Add((topic.Name, p.PartitionIndex)))
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    continue;
                }
                var partition = services.Replicas.Get(topic.Name, p.PartitionIndex);
                if (partition is null)
                {
                    result.ErrorCode = (short)services.Replicas.MissingError(topic.Name, p.PartitionIndex);
                    continue;
                }
                if (p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch != partition.LeaderEpoch)
                {
                    result.ErrorCode = (short)(p.CurrentLeaderEpoch > partition.LeaderEpoch ? ErrorCode.UnknownLeaderEpoch : ErrorCode.FencedLeaderEpoch);
                    continue;
                }
                try
                {
                    Lookup(partition, p.Timestamp, context.Version, result);
                }
                catch (Exception ex) when (ex is KafkaStorageException or IOException)
                {
                    Log.Error($"ListOffsets on {topic.Name}-{p.PartitionIndex} failed", ex);
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

    private static void Lookup(Partitions.Partition partition, long timestamp, short version, ListOffsetsResponse.ListOffsetsPartitionResponse result)
    {
        var log = partition.Log;
        result.LeaderEpoch = partition.LeaderEpoch;
        switch (timestamp)
        {
            case Earliest:
            case EarliestLocal when version >= 8:
                result.Offset = log.LogStartOffset;
                result.Timestamp = -1;
                break;
            case Latest:
                result.Offset = log.HighWatermark;
                result.Timestamp = -1;
                break;
            case MaxTimestamp when version >= 7:
                var (ts, offset) = log.MaxTimestampAndOffset();
                result.Timestamp = ts;
                result.Offset = offset;
                if (offset < 0)
                    result.LeaderEpoch = -1;
                break;
            default:
                if (timestamp < 0)
                {
                    result.ErrorCode = (short)ErrorCode.UnsupportedVersion;
                    return;
                }
                if (log.OffsetForTimestamp(timestamp) is { } found && found.Offset < log.HighWatermark)
                {
                    result.Offset = found.Offset;
                    result.Timestamp = found.Timestamp;
                }
                else
                {
                    result.Offset = -1;
                    result.Timestamp = -1;
                    result.LeaderEpoch = -1;
                }
                break;
        }
    }
}
