using KafkaOperator.Protocol;
using KafkaOperator.Protocol.Messages;

namespace KafkaOperator.Server.Handlers;

/// <summary>OffsetForLeaderEpoch 0–4: the end offset of the largest epoch at or below the requested one.</summary>
public sealed class OffsetForLeaderEpochHandler(BrokerServices services) : ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request)
    {
        var response = new OffsetForLeaderEpochResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(topicResult);
            foreach (var p in topic.Partitions)
            {
                var result = new OffsetForLeaderEpochResponse.OffsetForLeaderPartitionResult { Partition = p.Partition, EndOffset = -1 };
                topicResult.Partitions.Add(result);
                var partition = services.Replicas.Get(topic.Topic, p.Partition);
                if (partition is null)
                {
                    result.ErrorCode = (short)services.Replicas.MissingError(topic.Topic, p.Partition);
                    continue;
                }
                if (p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch != partition.LeaderEpoch)
                {
                    result.ErrorCode = (short)(p.CurrentLeaderEpoch > partition.LeaderEpoch ? ErrorCode.UnknownLeaderEpoch : ErrorCode.FencedLeaderEpoch);
                    continue;
                }
                try
                {
                    var (epoch, end) = partition.Log.EndOffsetForEpoch(p.LeaderEpoch);
                    if (epoch < 0 && p.LeaderEpoch >= partition.LeaderEpoch)
                    {
                        // Nothing appended yet in this epoch: the log end is the epoch's end.
                        epoch = partition.LeaderEpoch;
                        end = partition.Log.LogEndOffset;
                    }
                    result.LeaderEpoch = epoch;
                    result.EndOffset = end;
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
